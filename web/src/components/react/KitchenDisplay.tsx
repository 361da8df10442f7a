// The kitchen display: once a cook is signed in on the registered screen (`DeviceGate`), the
// board: the open tickets of a station, live over SSE, with timers coloured against the prep-time target,
// bump / recall / rush, all-day counts and a chime when a ticket arrives.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useStore } from '@nanostores/react';
import { kitchen, logOut } from '../../stores/auth';
import { link, followLive } from '../../stores/sse';
import { api, ApiError, type Schemas, type Ticket } from '../../lib/api';
import { type Device } from '../../lib/device';
import DeviceGate, { messages } from './DeviceGate';
import { t, pick, formatDuration, formatNumber, sep, type Lang } from '../../i18n';
import { ManagerPinDialog } from './ManagerPin';
import { chime } from '../../lib/chime';

interface Props {
  lang: Lang;
}

export default function KitchenDisplay({ lang }: Props) {
  const tr = t(lang);
  return (
    <DeviceGate lang={lang} kind="kds" session={kitchen} texts={{ ...tr.kds, defaultName: 'Kitchen screen' }}>
      {(device) => <Board lang={lang} device={device} onSignOut={() => logOut(kitchen)} />}
    </DeviceGate>
  );
}

/** The colour of a ticket's timer: on time, nearly at its target (80 %), late. */
export function timing(ageSeconds: number, targetSeconds: number, held: boolean): 'held' | 'on_time' | 'warning' | 'late' {
  if (held) return 'held';
  if (ageSeconds >= targetSeconds) return 'late';
  if (ageSeconds >= targetSeconds * 0.8) return 'warning';
  return 'on_time';
}

const COLOURS = { held: '#6b7280', on_time: '#166534', warning: '#a16207', late: '#b91c1c' } as const;

function Board({ lang, device, onSignOut }: { lang: Lang; device: Device; onSignOut: () => void }) {
  const tr = t(lang);
  const state = useStore(link);
  const [stations, setStations] = useState<Schemas['StationDto'][]>([]);
  const [station, setStation] = useState<string>(() => (typeof localStorage !== 'undefined' ? localStorage.getItem('sous:kds:station') ?? '' : ''));
  const [tickets, setTickets] = useState<Ticket[]>([]);
  const [allDay, setAllDay] = useState<Schemas['AllDayDto'][]>([]);
  const [bumped, setBumped] = useState<Ticket[]>([]);
  const [loadedAt, setLoadedAt] = useState(Date.now());
  const [now, setNow] = useState(Date.now());
  const [errors, setErrors] = useState<string[]>([]);
  const [lastBumped, setLastBumped] = useState<Ticket | null>(null);
  // The recall waiting for a manager's PIN, while the dialog is open.
  const [approving, setApproving] = useState<Ticket | null>(null);
  const seen = useRef<Set<string> | null>(null);
  const branch = device.branchId;

  const load = useCallback(async () => {
    const q = station ? `?station=${encodeURIComponent(station)}` : '';
    const [list, counts, done] = await Promise.all([
      api<Ticket[]>(`/api/branches/${branch}/kitchen/tickets${q}`, { tokens: kitchen }),
      api<Schemas['AllDayDto'][]>(`/api/branches/${branch}/kitchen/all-day${q}`, { tokens: kitchen }),
      api<Ticket[]>(`/api/branches/${branch}/kitchen/bumped${q}`, { tokens: kitchen }),
    ]);
    const ids = new Set(list.map((x) => x.id));
    if (seen.current && list.some((x) => !seen.current!.has(x.id))) chime();
    seen.current = ids;
    setTickets(list);
    setAllDay(counts);
    setBumped(done);
    setLoadedAt(Date.now());
  }, [branch, station]);

  useEffect(() => {
    api<Schemas['StationDto'][]>(`/api/branches/${branch}/kitchen/stations`, { tokens: kitchen }).then(setStations, (e) => setErrors(messages(e)));
  }, [branch]);

  useEffect(() => {
    localStorage.setItem('sous:kds:station', station);
    seen.current = null;
    load().catch((e) => setErrors(messages(e)));
    const stop = followLive({ channel: 'kitchen', params: { branchId: branch }, tokens: kitchen, onEvent: () => load().catch(() => {}), onReset: () => load().catch(() => {}) });
    const unlisten = link.listen((s) => s === 'live' && load().catch(() => {}));
    return () => {
      stop();
      unlisten();
    };
  }, [branch, station, load]);

  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);

  /** Whether the action was done (a refused one shows its message). */
  async function act(path: string, body: unknown = {}): Promise<boolean> {
    setErrors([]);
    try {
      await api(path, { body, tokens: kitchen });
      await load();
      return true;
    } catch (e) {
      setErrors(messages(e));
      return false;
    }
  }

  // Within the recall window the kitchen recalls alone; after it the server asks for a manager,
  // and the PIN dialog sends the same recall again with the manager's PIN.
  async function recall(tk: Ticket, managerPin?: string) {
    await api(`/api/kitchen/tickets/${tk.id}/recall`, {
      body: {},
      tokens: kitchen,
      headers: managerPin ? { 'X-Manager-Pin': managerPin } : undefined,
    });
    setLastBumped(null);
    await load();
  }

  async function recallOne(tk: Ticket) {
    setErrors([]);
    try {
      await recall(tk);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'manager_pin_required') setApproving(tk);
      else setErrors(messages(e));
    }
  }

  const elapsed = (now - loadedAt) / 1000;
  const stationName = (code: string) => {
    const st = stations.find((x) => x.code === code);
    return st ? pick(lang, st.name, st.nameAr) : code;
  };
  return (
    <section aria-labelledby="kds-title" data-station={station}>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: '.5rem', alignItems: 'center', marginBlockEnd: '.75rem' }}>
        <h1 id="kds-title" style={{ margin: 0, marginInlineEnd: 'auto' }}>{tr.kds.title}</h1>
        <span className={`pill ${state}`} data-link={state}>{state === 'live' ? tr.live : state === 'closed' ? tr.offline : tr.reconnecting}</span>
        <label htmlFor="kds-station" style={{ margin: 0 }}>{tr.kds.station}</label>
        <select id="kds-station" value={station} onChange={(e) => setStation(e.target.value)} style={{ inlineSize: 'auto' }}>
          <option value="">{tr.kds.allStations}</option>
          {stations.map((s) => <option key={s.id} value={s.code}>{pick(lang, s.name, s.nameAr)}</option>)}
        </select>
        {lastBumped && <button type="button" className="btn secondary" onClick={() => recallOne(lastBumped)}>{tr.kds.recall}</button>}
        <button type="button" className="btn secondary" onClick={() => document.documentElement.requestFullscreen?.()}>{tr.kds.fullscreen}</button>
        <button type="button" className="btn secondary" onClick={onSignOut}>{tr.kds.signOut}</button>
      </div>
      {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
      {approving && (
        <ManagerPinDialog lang={lang} action={tr.kds.recallLate(formatNumber(lang, approving.orderNumber))}
          onApprove={(pin) => recall(approving, pin)} onClose={() => setApproving(null)} />
      )}
      <div style={{ display: 'grid', gap: '1rem', gridTemplateColumns: 'minmax(0,1fr)' }} className="kds-body">
        {tickets.length === 0 ? (
          <p className="muted" data-testid="no-tickets">{tr.kds.noTickets}</p>
        ) : (
          <ul style={{ listStyle: 'none', padding: 0, margin: 0, display: 'grid', gap: '.75rem', gridTemplateColumns: 'repeat(auto-fill, minmax(15rem, 1fr))' }} data-testid="tickets">
            {tickets.map((tk) => {
              const age = (tk.ageSeconds ?? 0) + (tk.status === 'held' ? 0 : elapsed);
              const colour = timing(age, tk.targetSeconds, tk.status === 'held');
              return (
                <li key={tk.id} className="card" data-ticket={tk.id} data-order-number={tk.orderNumber} data-timing={colour} data-status={tk.status}
                  style={{ borderInlineStart: `.5rem solid ${COLOURS[colour]}`, outline: tk.rush ? '3px solid var(--late)' : undefined }}>
                  <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'baseline' }}>
                    <strong style={{ fontSize: '1.4rem' }}>#{formatNumber(lang, tk.orderNumber)}</strong>
                    <span style={{ color: COLOURS[colour], fontWeight: 700, fontSize: '1.2rem' }} dir="ltr">{formatDuration(lang, age)}</span>
                  </div>
                  <div className="muted">{tk.table ? tr.table(tk.table) : tr.status[tk.orderType] ?? tk.orderType}{sep(lang)}{stationName(tk.station)}{tk.rush ? `${sep(lang)}${tr.kds.rush}` : ''}{tk.status === 'held' ? `${sep(lang)}${tr.kds.held}` : ''}</div>
                  <ul style={{ paddingInlineStart: '1.25rem' }}>
                    {tk.items.map((it) => (
                      <li key={it.id} data-item={it.id} data-done={String(it.done)} data-voided={String(it.voided)}
                        style={{ opacity: it.held ? 0.5 : 1 }}>
                        {/* Tapping a fired item marks it done (one item of the ticket ready); a voided
                            item is not to be made. */}
                        <button type="button" disabled={it.done || it.held || it.voided} aria-pressed={it.done}
                          onClick={() => act(`/api/kitchen/tickets/${tk.id}/items/${it.id}/done`)}
                          style={{ all: 'unset', cursor: it.done || it.held || it.voided ? 'default' : 'pointer', display: 'block', minBlockSize: '2.5rem', fontWeight: 700,
                            textDecoration: it.done || it.voided ? 'line-through' : undefined }}>
                          {formatNumber(lang, it.quantity)} × {pick(lang, it.name, it.nameAr)}
                        </button>
                        {it.voided && <div className="error" style={{ fontWeight: 700 }}>{tr.kds.voided}</div>}
                        {it.modifiers.length > 0 && <div className="muted">{it.modifiers.join(', ')}</div>}
                        {it.notes && <div className="error">{it.notes}</div>}
                      </li>
                    ))}
                  </ul>
                  {tk.orderNotes && <p className="error">{tk.orderNotes}</p>}
                  {tk.status === 'new' && (
                    <button type="button" className="btn secondary" style={{ inlineSize: '100%', marginBlockEnd: '.5rem', minBlockSize: '3rem' }}
                      onClick={() => act(`/api/kitchen/tickets/${tk.id}/start`)}>{tr.kds.start}</button>
                  )}
                  <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '.5rem' }}>
                    <button type="button" className="btn" style={{ minBlockSize: '3.5rem', fontSize: '1.2rem' }} disabled={tk.status === 'held'}
                      onClick={() => act(`/api/kitchen/tickets/${tk.id}/bump`).then((done) => done && setLastBumped(tk))}>{tr.kds.bump}</button>
                    <button type="button" className="btn secondary" style={{ minBlockSize: '3.5rem' }} aria-pressed={tk.rush}
                      onClick={() => act(`/api/kitchen/tickets/${tk.id}/rush`, { rush: !tk.rush })}>{tk.rush ? tr.kds.unrush : tr.kds.rush}</button>
                  </div>
                </li>
              );
            })}
          </ul>
        )}
        <aside className="card" aria-labelledby="allday-title">
          <h2 id="allday-title" style={{ marginBlockStart: 0 }}>{tr.kds.allDay}</h2>
          <ul style={{ listStyle: 'none', padding: 0, margin: 0 }} data-testid="all-day">
            {allDay.map((a) => (
              <li key={a.name} style={{ display: 'flex', justifyContent: 'space-between' }}><span>{pick(lang, a.name, a.nameAr)}</span><strong>{formatNumber(lang, a.quantity)}</strong></li>
            ))}
          </ul>
        </aside>
        {/* What the kitchen may still recall (a dish sent back): after the recall window a
            manager approves with their PIN. */}
        {bumped.length > 0 && (
          <aside className="card" aria-labelledby="bumped-title">
            <h2 id="bumped-title" style={{ marginBlockStart: 0 }}>{tr.kds.recentlyBumped}</h2>
            <ul style={{ listStyle: 'none', padding: 0, margin: 0, display: 'grid', gap: '.5rem' }} data-testid="bumped">
              {bumped.map((tk) => (
                <li key={tk.id} data-ticket={tk.id} data-order-number={tk.orderNumber} style={{ display: 'flex', alignItems: 'center', gap: '.75rem' }}>
                  <strong style={{ fontSize: '1.2rem' }}>#{formatNumber(lang, tk.orderNumber)}</strong>
                  <span className="muted" style={{ marginInlineEnd: 'auto' }}>
                    {stationName(tk.station)}{sep(lang)}{tr.kds.bumpedAgo(formatDuration(lang, Math.max(0, (now - Date.parse(tk.bumpedAt!)) / 1000)))}
                  </span>
                  <button type="button" className="btn secondary" style={{ minBlockSize: '3rem' }} onClick={() => recallOne(tk)}
                    aria-label={tr.kds.recallTicket(formatNumber(lang, tk.orderNumber))}>{tr.kds.recallShort}</button>
                </li>
              ))}
            </ul>
          </aside>
        )}
      </div>
    </section>
  );
}

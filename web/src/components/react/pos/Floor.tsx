// The floor: each area's tables drawn where they stand, in the colour and words of their state
// (free, seated, ordered, food ready, check printed, paid) with the guests, the server and the
// minutes since seating, live for every till of the branch. A tap on a table seats a party or
// opens what can be done with it: add items, print the check, move, merge, transfer to another
// server, clear. A manager edits the plan here (FloorEditor).
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { api, unreachable } from '../../../lib/api';
import type { Device } from '../../../lib/device';
import { till } from '../../../stores/auth';
import { keptTiles } from '../../../lib/offline-staff';
import type { StaffTile } from '../../../lib/device';
import { formatNumber, sep, type Lang } from '../../../i18n';
import { pos } from './strings';
import { money, useBranchEvents, useOnline, type OpenView, type Staff } from './shell';
import { areasOf, keepFloor, keptFloor, planHeight, type FloorTable } from './floor-plan';
import { messages as msgs } from '../DeviceGate';

const FloorEditor = lazy(() => import('./FloorEditor'));

const FRONT = ['owner', 'manager', 'cashier', 'waiter'];

export default function Floor({ lang, device, staff, currency, onOpen }: { lang: Lang; device: Device; staff: Staff; currency: string; onOpen: OpenView }) {
  const tr = pos(lang);
  const online = useOnline();
  const [tables, setTables] = useState<FloorTable[] | null>(null);
  const [area, setArea] = useState<string>('');
  const [picked, setPicked] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);

  const load = useCallback(async () => {
    let list: FloorTable[];
    try {
      list = await api<FloorTable[]>(`/api/branches/${device.branchId}/floor`, { tokens: till });
      keepFloor(device.branchId, list).catch(() => {});
    } catch (e) {
      // Out of reach: the floor as last seen, to know which tables this till holds.
      const kept = unreachable(e) ? await keptFloor(device.branchId).catch(() => null) : null;
      if (!kept) throw e;
      list = kept;
    }
    setTables(list);
    setArea((a) => (a && areasOf(list).includes(a) ? a : (areasOf(list)[0] ?? '')));
  }, [device.branchId]);

  useEffect(() => {
    load().catch((e) => setErrors(msgs(e)));
    // The minutes since seating move on.
    const id = setInterval(() => load().catch(() => {}), 60_000);
    return () => clearInterval(id);
  }, [load]);
  useBranchEvents(useCallback(() => void load().catch(() => {}), [load]));

  const shown = useMemo(() => (tables ?? []).filter((t) => (t.floorArea ?? '') === area), [tables, area]);
  const table = tables?.find((t) => t.id === picked) ?? null;
  const n = (x: number) => formatNumber(lang, x);
  const manager = staff.role === 'manager' || staff.role === 'owner';

  if (editing && tables) {
    return (
      <Suspense fallback={<p aria-busy="true">…</p>}>
        <FloorEditor lang={lang} branchId={device.branchId} tables={tables} area={area} onDone={() => { setEditing(false); load().catch(() => {}); }} />
      </Suspense>
    );
  }
  return (
    <div className="till-floor">
      <div className="till-floor-top">
        <div role="tablist" aria-label={tr.floor.area} className="till-cats">
          {areasOf(tables ?? []).map((a) => (
            <button key={a} type="button" role="tab" aria-selected={a === area} className="btn secondary" onClick={() => setArea(a)}>{a || tr.floor.title}</button>
          ))}
        </div>
        {manager && online && <button type="button" className="btn secondary" onClick={() => setEditing(true)}>{tr.floor.edit}</button>}
      </div>
      {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
      {tables === null && <p aria-busy="true">…</p>}
      <div className="till-floor-body">
        <div>
          <div className="till-plan" style={{ aspectRatio: `1000 / ${planHeight(shown)}` }} data-testid="floor-plan">
            {shown.map((t) => (
              <button key={t.id} type="button" className={`till-table state-${t.state} ${t.shape}`} data-table={t.label} data-state={t.state}
                aria-pressed={picked === t.id} onClick={() => setPicked(t.id)}
                style={{
                  insetInlineStart: `${t.x / 10}%`, insetBlockStart: `${(t.y / planHeight(shown)) * 100}%`,
                  inlineSize: `${t.width / 10}%`, blockSize: `${(t.height / planHeight(shown)) * 100}%`,
                  transform: t.rotation ? `rotate(${t.rotation}deg)` : undefined,
                }}>
                <strong>{t.label}</strong>
                <span>{tr.floor.states[t.state]}</span>
                {t.session && <span>{n(t.session.guests)}{sep(lang)}{t.session.serverName}{sep(lang)}{tr.floor.since(n(t.session.minutesSeated))}</span>}
              </button>
            ))}
          </div>
          <ul className="till-legend" aria-label={tr.floor.title}>
            {Object.entries(tr.floor.states).map(([k, v]) => <li key={k} className={`state-${k}`}>{v}</li>)}
          </ul>
        </div>
        {table && (
          <TablePanel key={table.id} lang={lang} device={device} table={table} tables={tables ?? []} online={online} currency={currency}
            onOpen={onOpen} onChanged={() => load().catch(() => {})} onClose={() => setPicked(null)} />
        )}
      </div>
    </div>
  );
}

function TablePanel({ lang, device, table, tables, online, currency, onOpen, onChanged, onClose }: {
  lang: Lang;
  device: Device;
  table: FloorTable;
  tables: FloorTable[];
  online: boolean;
  currency: string;
  onOpen: OpenView;
  onChanged: () => void;
  onClose: () => void;
}) {
  const tr = pos(lang);
  const [guests, setGuests] = useState(Math.min(table.seats, 2));
  const [target, setTarget] = useState('');
  const [staff, setStaff] = useState<StaffTile[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const n = (x: number) => formatNumber(lang, x);
  const s = table.session;
  // Another till opened this table: while offline this till may not add to it.
  const elsewhere = !!s?.deviceId && s.deviceId !== device.id;

  useEffect(() => {
    keptTiles(device.id).then((list) => setStaff(list.filter((x) => FRONT.includes(x.role))), () => {});
  }, [device.id]);

  async function act(run: () => Promise<unknown>, then?: () => void) {
    setErrors([]);
    try {
      await run();
      onChanged();
      then?.();
    } catch (e) {
      setErrors(msgs(e));
    }
  }

  const open = () => onOpen('order', { kind: 'dine_in', table: table.label, guests: s?.guests ?? guests });
  const free = tables.filter((t) => t.state === 'free' && t.id !== table.id);
  const taken = tables.filter((t) => t.session && t.id !== table.id);
  return (
    <section className="card till-table-panel" aria-labelledby="table-title" data-testid="table-panel">
      <h2 id="table-title">{tr.tableN(table.label)}{sep(lang)}{tr.floor.states[table.state]}</h2>
      {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
      {!s ? (
        <form onSubmit={(e) => { e.preventDefault(); act(() => api(`/api/dining-tables/${table.id}/seat`, { body: { guests }, tokens: till }), open); }}>
          <label htmlFor="seat-guests">{tr.guests}</label>
          <input id="seat-guests" type="number" min={1} max={100} inputMode="numeric" value={guests} onChange={(e) => setGuests(Math.max(1, Math.min(100, Number(e.target.value) || 1)))} />
          <p className="till-actions">
            <button type="submit" className="btn" disabled={!online}>{tr.floor.openTable(table.label)}</button>
            <button type="button" className="btn secondary" onClick={onClose}>{tr.tender.close}</button>
          </p>
        </form>
      ) : (
        <>
          <p>{tr.guests}: {n(s.guests)}{sep(lang)}{tr.floor.server}: {s.serverName}{sep(lang)}{tr.floor.since(n(s.minutesSeated))}</p>
          {elsewhere && <p className="muted" data-testid="locked-elsewhere">{online ? tr.floor.lockedTo(tr.floor.otherTill) : tr.offline.tableElsewhere}</p>}
          {table.orders.length > 0 && (
            <p>{table.orders.map((o) => `#${n(o.number)}`).join(sep(lang))}{sep(lang)}{tr.total} {money(lang, currency)(table.total)}{sep(lang)}{tr.due} {money(lang, currency)(table.due)}</p>
          )}
          <p className="till-actions">
            <button type="button" className="btn" disabled={!online && elsewhere} onClick={open}>{tr.floor.takeOrder}</button>
            <button type="button" className="btn secondary" disabled={!online}
              onClick={() => act(() => api(`/api/table-sessions/${s.id}/check-printed`, { body: {}, tokens: till }), open)}>{tr.floor.printCheck}</button>
            <button type="button" className="btn secondary" disabled={!online} onClick={() => act(() => api(`/api/table-sessions/${s.id}/close`, { body: {}, tokens: till }), onClose)}>{tr.floor.closeTable}</button>
          </p>
          <div className="till-row">
            <span>
              <label htmlFor="table-target">{tr.floor.moveTo} / {tr.floor.mergeInto}</label>
              <select id="table-target" value={target} onChange={(e) => setTarget(e.target.value)}>
                <option value="">—</option>
                {free.map((t) => <option key={t.id} value={`move:${t.id}`}>{tr.floor.moveTo} {t.label}</option>)}
                {taken.map((t) => <option key={t.id} value={`merge:${t.session!.id}`}>{tr.floor.mergeInto} {t.label}</option>)}
              </select>
            </span>
            <span>
              <label htmlFor="table-server">{tr.floor.transferTo}</label>
              <select id="table-server" value={s.serverId} disabled={!online}
                onChange={(e) => act(() => api(`/api/table-sessions/${s.id}/transfer`, { body: { serverId: e.target.value }, tokens: till }))}>
                {!staff.some((x) => x.userId === s.serverId) && <option value={s.serverId}>{s.serverName}</option>}
                {staff.map((x) => <option key={x.userId} value={x.userId}>{x.displayName}</option>)}
              </select>
            </span>
          </div>
          <p className="till-actions">
            <button type="button" className="btn secondary" disabled={!target || !online}
              onClick={() => {
                const [kind, id] = target.split(':');
                act(() => (kind === 'move'
                  ? api(`/api/table-sessions/${s.id}/move`, { body: { tableId: id }, tokens: till })
                  : api(`/api/table-sessions/${s.id}/merge`, { body: { intoSessionId: id }, tokens: till })), onClose);
              }}>{tr.floor.apply}</button>
            <button type="button" className="btn secondary" onClick={onClose}>{tr.tender.close}</button>
          </p>
        </>
      )}
    </section>
  );
}

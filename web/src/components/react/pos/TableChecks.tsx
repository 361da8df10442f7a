// The checks already sent for a table (or one counter order): each with its lines by seat and
// course, its status and what is due, and what a waiter does with it — fire the next course,
// mark it served, split it by seat or evenly, merge the table's checks into one, take payment
// and print the receipt; a line already sent is voided with a reason (and a manager's PIN
// above the approval threshold). Live: any change to an order of the branch reloads them.
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, idempotencyKey, type Order } from '../../../lib/api';
import { till } from '../../../stores/auth';
import { APPROVAL_ABOVE, seatsOf } from '../../../lib/till';
import { formatNumber, pick, t, sep, type Lang } from '../../../i18n';
import { pos } from './strings';
import { money, useBranchEvents } from './shell';
import Tender, { type CardOutcome } from './Tender';
import Receipt from './Receipt';
import KitchenTickets from './KitchenTickets';
import Approve from './Approve';
import { messages as msgs } from '../DeviceGate';

const OPEN = ['placed', 'accepted', 'preparing', 'ready', 'served'];
/** The terminal at the counter, as the till names it to the card terminal adapter. */
export const TERMINAL = 'counter-1';

/** Charges a card on the counter terminal for an order; a decline is an outcome, not an error. */
export async function chargeCard(order: Order, amount: number): Promise<{ outcome: CardOutcome; due: number; detail?: string }> {
  try {
    const after = await api<Order>(`/api/orders/${order.id}/payments`, {
      body: { method: 'card', amount, terminalId: TERMINAL },
      tokens: till,
      headers: { 'idempotency-key': idempotencyKey() },
    });
    return { outcome: 'approved', due: after.due };
  } catch (e) {
    if (e instanceof ApiError && e.status === 402) return { outcome: 'declined', due: order.due, detail: e.detail };
    if (e instanceof ApiError && e.status === 504) return { outcome: 'unknown', due: order.due };
    throw e;
  }
}

/** Takes cash for an order; answers what is still due. */
export async function payCash(order: Order, tendered: number, amount: number): Promise<number> {
  const after = await api<Order>(`/api/orders/${order.id}/payments`, {
    body: { method: 'cash', amount, tendered },
    tokens: till,
    headers: { 'idempotency-key': idempotencyKey() },
  });
  return after.due;
}

export default function TableChecks({ lang, branchId, table, orderIds, reload }: {
  lang: Lang;
  branchId: string;
  /** The table whose open checks to show… */
  table?: string;
  /** …or these orders. */
  orderIds?: string[];
  /** Changes when the caller placed something new. */
  reload: number;
}) {
  const tr = pos(lang);
  const [orders, setOrders] = useState<Order[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const [notice, setNotice] = useState('');
  const [paying, setPaying] = useState<Order | null>(null);
  const [receipt, setReceipt] = useState<string | null>(null);
  const [ticketsOf, setTicketsOf] = useState<string | null>(null);
  const [parts, setParts] = useState(2);
  // Lines picked to go to a check of their own (split by item).
  const [picked, setPicked] = useState<string[]>([]);
  // The line being voided, while its dialog is open.
  const [voiding, setVoiding] = useState<{ order: Order; line: Order['lines'][number] } | null>(null);

  const load = useCallback(async () => {
    if (orderIds?.length) {
      setOrders(await Promise.all(orderIds.map((id) => api<Order>(`/api/orders/${id}`, { tokens: till }))));
      return;
    }
    if (!table) return setOrders([]);
    const since = new Date(Date.now() - 24 * 3600_000).toISOString();
    const list = await api<Order[]>(`/api/orders?branchId=${branchId}&type=dine_in&limit=200&since=${encodeURIComponent(since)}`, { tokens: till });
    setOrders(list.filter((o) => o.table === table && OPEN.includes(o.status)).reverse());
  }, [branchId, table, orderIds?.join(',')]);

  useEffect(() => {
    load().catch((e) => setErrors(msgs(e)));
  }, [load, reload]);

  useBranchEvents(useCallback(() => void load().catch(() => {}), [load]));

  async function act(run: () => Promise<unknown>, done?: string) {
    setErrors([]);
    setNotice('');
    try {
      await run();
      if (done) setNotice(done);
      await load();
    } catch (e) {
      setErrors(msgs(e));
    }
  }

  const fire = (o: Order) =>
    act(async () => {
      const r = await api<{ course?: number | null }>(`/api/orders/${o.id}/fire`, { body: {}, tokens: till });
      setNotice(r.course ? tr.fired(formatNumber(lang, r.course)) : tr.nothingHeld);
    });
  const step = (o: Order, status: string) => act(() => api(`/api/orders/${o.id}/status`, { body: { status }, tokens: till }));
  const split = (o: Order, body: unknown) => act(() => api(`/api/orders/${o.id}/split`, { body, tokens: till }));
  const mergeAll = () =>
    act(async () => {
      const [first, ...rest] = orders;
      for (const o of rest) await api(`/api/orders/${first!.id}/merge`, { body: { orderId: o.id }, tokens: till });
    });
  const printCheck = (o: Order) => {
    setReceipt(o.id);
  };

  if (orders.length === 0 && errors.length === 0) return null;
  const fmt = (o: Order) => money(lang, o.currency);
  const n = (x: number) => formatNumber(lang, x);
  const splittable = (o: Order) => (o.status === 'placed' || o.status === 'served') && o.paid === 0;
  return (
    <section className="till-checks" aria-label={tr.check} data-testid="table-checks">
      {notice && <p role="status" className="ok">{notice}</p>}
      {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
      {orders.length > 1 && orders.every(splittable) && (
        <p><button type="button" className="btn secondary" onClick={mergeAll}>{tr.floor.mergeInto}{sep(lang)}{orders.map((o) => `#${n(o.number)}`).join(' + ')}</button></p>
      )}
      {orders.map((o) => {
        // A voided line stays on the check, struck through, and counts for nothing else.
        const live = o.lines.filter((l) => !l.voided);
        const seats = seatsOf(live);
        const held = live.some((l) => (l.course ?? 0) > Math.min(...live.map((x) => x.course ?? 99)));
        return (
          <article key={o.id} className="card till-check" data-testid="table-check" data-order-number={o.number}>
            <h3>
              #{n(o.number)}{sep(lang)}<span className="pill">{t(lang).status[o.status] ?? o.status}</span>
              {seats.length === 1 && <>{sep(lang)}{tr.seatN(n(seats[0]!))}</>}
            </h3>
            <ul className="till-check-lines">
              {o.lines.map((l) => (
                <li key={l.id} className={l.voided ? 'till-voided' : undefined}>
                  {!l.voided && splittable(o) && live.length > 1 && (
                    <input type="checkbox" aria-label={tr.orders.pickLine(pick(lang, l.name, l.nameAr))} style={{ inlineSize: 'auto', minBlockSize: 'auto' }}
                      checked={picked.includes(l.id)} onChange={(e) => setPicked((p) => (e.target.checked ? [...p, l.id] : p.filter((x) => x !== l.id)))} />
                  )}
                  {l.voided ? <s>{n(l.quantity)}× {pick(lang, l.name, l.nameAr)}</s> : <>{n(l.quantity)}× {pick(lang, l.name, l.nameAr)}</>}
                  <span className="muted">{l.seat ? `${sep(lang)}${tr.seatN(n(l.seat))}` : ''}{l.course ? `${sep(lang)}${tr.courseN(n(l.course))}` : ''}</span>
                  {l.voided ? <span className="muted">{sep(lang)}{tr.orders.voidedBecause(l.voided.reason)}</span> : <span className="num"> {fmt(o)(l.net)}</span>}
                  {!l.voided && live.length > 1 && o.paid === 0 && (
                    <button type="button" className="btn secondary till-line-void" aria-label={tr.orders.voidLine(pick(lang, l.name, l.nameAr))}
                      onClick={() => setVoiding({ order: o, line: l })}>{tr.orders.void}</button>
                  )}
                </li>
              ))}
            </ul>
            <p className="till-check-sum">
              {tr.total} <strong>{fmt(o)(o.total)}</strong>{sep(lang)}{tr.due} <strong data-testid="check-due">{fmt(o)(o.due)}</strong>
            </p>
            <div className="till-actions">
              {['accepted', 'preparing'].includes(o.status) && held && <button type="button" className="btn secondary" onClick={() => fire(o)}>{tr.fireNext}</button>}
              {o.status === 'ready' && <button type="button" className="btn secondary" onClick={() => step(o, 'served')}>{t(lang).status.served}</button>}
              {o.status === 'placed' && <button type="button" className="btn secondary" onClick={() => step(o, 'accepted')}>{tr.send}</button>}
              {splittable(o) && seats.length > 1 && <button type="button" className="btn secondary" onClick={() => split(o, { mode: 'seats' })}>{tr.orders.splitBySeat}</button>}
              {splittable(o) && live.length > 1 && (
                <button type="button" className="btn secondary" disabled={!live.some((l) => picked.includes(l.id)) || live.every((l) => picked.includes(l.id))}
                  onClick={() => split(o, { mode: 'items', lines: live.filter((l) => picked.includes(l.id)).map((l) => l.id) }).then(() => setPicked([]))}>
                  {tr.orders.splitItems}
                </button>
              )}
              {o.paid === 0 && o.due > 0 && (
                <span className="till-split-even">
                  <label className="skip" htmlFor={`parts-${o.id}`}>{tr.orders.parts}</label>
                  <select id={`parts-${o.id}`} value={parts} onChange={(e) => setParts(Number(e.target.value))}>
                    {[2, 3, 4, 5, 6].map((p) => <option key={p} value={p}>{n(p)}</option>)}
                  </select>
                  <button type="button" className="btn secondary" onClick={() => split(o, { mode: 'equal', parts })}>{tr.orders.splitEvenly(n(parts))}</button>
                </span>
              )}
              <button type="button" className="btn secondary" onClick={() => printCheck(o)}>{tr.floor.printCheck}</button>
              {o.status !== 'placed' && <button type="button" className="btn secondary" onClick={() => setTicketsOf(o.id)}>{tr.kitchenTicket}</button>}
              {o.due > 0 && <button type="button" className="btn" onClick={() => setPaying(o)}>{tr.pay}{sep(lang)}{fmt(o)(o.due)}</button>}
            </div>
          </article>
        );
      })}
      {paying && (
        <Tender lang={lang} currency={paying.currency} title={tr.tender.title(n(paying.number))} due={paying.due} online
          onCash={(tendered, amount) => payCash(paying, tendered, amount)}
          onCard={(amount) => chargeCard(paying, amount)}
          onClose={() => {
            const id = paying.id;
            setPaying(null);
            load().catch(() => {});
            // Paid in full: the receipt comes up to print.
            api<Order>(`/api/orders/${id}`, { tokens: till }).then((o) => o.due === 0 && o.paid > 0 && setReceipt(o.id), () => {});
          }} />
      )}
      {voiding && (
        <Approve lang={lang} title={tr.orders.voidLineTitle} number={voiding.order.number} amount={voiding.line.net} currency={voiding.order.currency}
          reasons={tr.orders.voidReasons} askPin={voiding.line.net > APPROVAL_ABOVE}
          run={async (reason, managerPin) => {
            await api(`/api/orders/${voiding.order.id}/lines/${voiding.line.id}/void`, { body: { reason, managerPin }, tokens: till });
            return tr.orders.lineVoided;
          }}
          onClose={() => setVoiding(null)}
          onDone={(done) => { setVoiding(null); setNotice(done); load().catch(() => {}); }} />
      )}
      {receipt && <Receipt lang={lang} orderId={receipt} onClose={() => setReceipt(null)} />}
      {ticketsOf && <KitchenTickets lang={lang} orderId={ticketsOf} onClose={() => setTicketsOf(null)} />}
    </section>
  );
}

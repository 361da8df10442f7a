// The branch's orders of the day at the till: the incoming website and QR orders waiting to be
// accepted (with a chime when one arrives), and every order of the day, searchable by number,
// table or amount, to open, take payment, reprint, refund or void — a refund or a void with
// the manager's PIN when the server asks for one.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, idempotencyKey, type Order } from '../../../lib/api';
import type { Device } from '../../../lib/device';
import { till } from '../../../stores/auth';
import { chime } from '../../../lib/chime';
import { formatClock, formatNumber, t, type Lang } from '../../../i18n';
import TableChecks from './TableChecks';
import { pos } from './strings';
import { money, useBranchEvents, type OpenView, type Staff } from './shell';
import { messages as msgs } from '../DeviceGate';

/** Orders of the last `hours` hours (the branch's day, with the night shift's tail). */
const HOURS = 20;

export function matchesOrder(o: Pick<Order, 'number' | 'table' | 'total'>, query: string): boolean {
  const q = query.trim().replace(/^#/, '');
  if (!q) return true;
  if (String(o.number) === q) return true;
  if (o.table && o.table.toLowerCase().includes(q.toLowerCase())) return true;
  const amount = Number(q.replace(',', '.'));
  return !Number.isNaN(amount) && Math.round(amount * 100) === o.total;
}

export default function Orders({ lang, device }: { lang: Lang; device: Device; staff: Staff; onOpen: OpenView }) {
  const tr = pos(lang);
  const [orders, setOrders] = useState<Order[]>([]);
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const [acting, setActing] = useState<{ order: Order; kind: 'refund' | 'void' } | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [notice, setNotice] = useState('');
  const seen = useRef<Set<string> | null>(null);
  const branch = device.branchId;

  const load = useCallback(async () => {
    const since = new Date(Date.now() - HOURS * 3600_000).toISOString();
    const list = await api<Order[]>(`/api/orders?branchId=${branch}&limit=200&since=${encodeURIComponent(since)}`, { tokens: till });
    const incoming = list.filter((o) => o.status === 'placed' && o.channel !== 'pos').map((o) => o.id);
    if (seen.current && incoming.some((id) => !seen.current!.has(id))) chime();
    seen.current = new Set(incoming);
    setOrders(list);
  }, [branch]);

  useEffect(() => {
    load().catch((e) => setErrors(msgs(e)));
  }, [load]);
  useBranchEvents(useCallback(() => void load().catch(() => {}), [load]));

  const incoming = orders.filter((o) => o.status === 'placed' && o.channel !== 'pos');
  const shown = useMemo(() => orders.filter((o) => matchesOrder(o, query)), [orders, query]);
  const n = (x: number) => formatNumber(lang, x);

  async function act(run: () => Promise<unknown>, done = '') {
    setErrors([]);
    setNotice('');
    try {
      await run();
      setNotice(done);
      await load();
    } catch (e) {
      setErrors(msgs(e));
    }
  }

  return (
    <div className="till-orders">
      <section aria-labelledby="incoming-title" className="card">
        <h2 id="incoming-title">{tr.orders.incoming} <span className="pill">{n(incoming.length)}</span></h2>
        {incoming.length === 0 && <p className="muted">{tr.orders.noIncoming}</p>}
        <ul className="till-list" data-testid="incoming">
          {incoming.map((o) => (
            <li key={o.id} data-order-number={o.number}>
              <span>#{n(o.number)} · {tr.types[o.type] ?? o.type} · {o.channel.toUpperCase()} · {formatClock(lang, o.createdAt)}</span>
              <span className="num">{money(lang, o.currency)(o.total)}</span>
              <button type="button" className="btn" onClick={() => act(() => api(`/api/orders/${o.id}/status`, { body: { status: 'accepted' }, tokens: till }))}>{tr.orders.accept}</button>
              <button type="button" className="btn secondary"
                onClick={() => act(() => api(`/api/orders/${o.id}/status`, { body: { status: 'cancelled', reason: tr.orders.rejectReason }, tokens: till }))}>{tr.orders.reject}</button>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="orders-title">
        <h2 id="orders-title">{tr.orders.title}</h2>
        <label htmlFor="orders-search" className="skip">{tr.orders.search}</label>
        <input id="orders-search" type="search" placeholder={tr.orders.search} value={query} onChange={(e) => setQuery(e.target.value)} />
        {notice && <p role="status" className="ok">{notice}</p>}
        {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
        {shown.length === 0 && <p className="muted">{tr.orders.none}</p>}
        <ul className="till-list" data-testid="orders">
          {shown.map((o) => (
            <li key={o.id} data-order-number={o.number}>
              <span>#{n(o.number)} · {o.table ? tr.tableN(o.table) : tr.types[o.type]} · {formatClock(lang, o.createdAt)}</span>
              <span className="pill">{t(lang).status[o.status] ?? o.status}</span>
              <span className="num">{money(lang, o.currency)(o.total)}</span>
              <button type="button" className="btn secondary" aria-expanded={open === o.id} onClick={() => setOpen(open === o.id ? null : o.id)}>{tr.orders.open}</button>
              {o.paid - o.refunded > 0 && <button type="button" className="btn secondary" onClick={() => setActing({ order: o, kind: 'refund' })}>{tr.orders.refund}</button>}
              {!['closed', 'cancelled', 'voided', 'split', 'merged'].includes(o.status) && (
                <button type="button" className="btn secondary" onClick={() => setActing({ order: o, kind: 'void' })}>{tr.orders.void}</button>
              )}
              {open === o.id && <div className="till-list-detail"><TableChecks lang={lang} branchId={branch} orderIds={[o.id]} reload={0} /></div>}
            </li>
          ))}
        </ul>
      </section>
      {acting && (
        <Approve lang={lang} order={acting.order} kind={acting.kind} onClose={() => setActing(null)}
          onDone={(done) => { setActing(null); setNotice(done); load().catch(() => {}); }} />
      )}
    </div>
  );
}

/** A refund of the order's payments or a void, with a reason and, when the server asks for it,
 *  a manager's PIN typed on this till. */
function Approve({ lang, order, kind, onClose, onDone }: { lang: Lang; order: Order; kind: 'refund' | 'void'; onClose: () => void; onDone: (notice: string) => void }) {
  const tr = pos(lang).orders;
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [pin, setPin] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => ref.current?.showModal(), []);

  async function confirm(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors([]);
    const managerPin = pin ? { managerPin: pin } : {};
    try {
      if (kind === 'void') {
        await api(`/api/orders/${order.id}/status`, { body: { status: 'voided', reason, ...managerPin }, tokens: till });
        onDone(tr.voided);
      } else {
        for (const p of order.payments.filter((x) => x.amount - x.refunded > 0)) {
          const amount = p.amount - p.refunded;
          if (amount <= 0) continue;
          await api(`/api/orders/${order.id}/refunds`, { body: { paymentId: p.id, amount, reason, ...managerPin }, tokens: till, headers: { 'idempotency-key': idempotencyKey() } });
        }
        onDone(tr.refunded);
      }
    } catch (err) {
      setErrors(msgs(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={ref} className="till-dialog" aria-labelledby="approve-title" onClose={onClose} onCancel={onClose}>
      <form onSubmit={confirm}>
        <h2 id="approve-title">{kind === 'void' ? tr.void : tr.refund} · #{formatNumber(lang, order.number)} · {money(lang, order.currency)(kind === 'void' ? order.total : order.paid - order.refunded)}</h2>
        <label htmlFor="approve-reason">{tr.reason}</label>
        <input id="approve-reason" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        <label htmlFor="approve-pin">{tr.managerPin}</label>
        <input id="approve-pin" type="password" inputMode="numeric" autoComplete="off" dir="ltr" maxLength={12} value={pin} onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))} />
        {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
        <p className="till-actions">
          <button type="submit" className="btn" disabled={busy || !reason.trim()}>{tr.confirm}</button>
          <button type="button" className="btn secondary" onClick={() => ref.current?.close()}>{pos(lang).tender.close}</button>
        </p>
      </form>
    </dialog>
  );
}

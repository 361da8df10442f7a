// The branch's orders of the day at the till: the incoming website and QR orders waiting to be
// accepted (with a chime when one arrives), and every order of the day, searchable by number,
// table or amount, to open, take payment, reprint, refund or void — a refund or a void with
// the manager's PIN when the server asks for one.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, idempotencyKey, type Order } from '../../../lib/api';
import type { Device } from '../../../lib/device';
import { till } from '../../../stores/auth';
import { chime } from '../../../lib/chime';
import { formatClock, formatNumber, t, sep, toMinor, type Lang } from '../../../i18n';
import TableChecks from './TableChecks';
import Approve from './Approve';
import { pos } from './strings';
import { money, useBranchEvents, type OpenView, type Staff } from './shell';
import { messages as msgs } from '../DeviceGate';

/** Orders of the last `hours` hours (the branch's day, with the night shift's tail). */
const HOURS = 20;

export function matchesOrder(o: Pick<Order, 'number' | 'table' | 'total'> & { currency?: string }, query: string): boolean {
  const q = query.trim().replace(/^#/, '');
  if (!q) return true;
  if (String(o.number) === q) return true;
  if (o.table && o.table.toLowerCase().includes(q.toLowerCase())) return true;
  const amount = Number(q.replace(',', '.'));
  return !Number.isNaN(amount) && toMinor(o.currency ?? 'SAR', q) === o.total;
}

/** Voids the whole order; answers the notice to show. */
async function voidOrder(lang: Lang, order: Order, reason: string, managerPin?: string): Promise<string> {
  await api(`/api/orders/${order.id}/status`, { body: { status: 'voided', reason, managerPin }, tokens: till });
  return pos(lang).orders.voided;
}

/** Gives back what is left of each of the order's payments; answers the notice to show. */
async function refundAll(lang: Lang, order: Order, reason: string, managerPin?: string): Promise<string> {
  for (const p of order.payments) {
    const amount = p.amount - p.refunded;
    if (amount <= 0) continue;
    await api(`/api/orders/${order.id}/refunds`, { body: { paymentId: p.id, amount, reason, managerPin }, tokens: till, headers: { 'idempotency-key': idempotencyKey() } });
  }
  return pos(lang).orders.refunded;
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
              <span>#{n(o.number)}{sep(lang)}{tr.types[o.type] ?? o.type}{sep(lang)}{o.channel.toUpperCase()}{sep(lang)}{formatClock(lang, o.createdAt)}</span>
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
              <span>#{n(o.number)}{sep(lang)}{o.table ? tr.tableN(o.table) : tr.types[o.type]}{sep(lang)}{formatClock(lang, o.createdAt)}</span>
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
        <Approve lang={lang} title={acting.kind === 'void' ? tr.orders.void : tr.orders.refund} number={acting.order.number}
          amount={acting.kind === 'void' ? acting.order.total : acting.order.paid - acting.order.refunded} currency={acting.order.currency}
          run={(reason, pin) => (acting.kind === 'void' ? voidOrder : refundAll)(lang, acting.order, reason, pin)}
          onClose={() => setActing(null)}
          onDone={(done) => { setActing(null); setNotice(done); load().catch(() => {}); }} />
      )}
    </div>
  );
}

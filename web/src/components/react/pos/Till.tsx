// A new order at the till: the order type (a table with its guests, takeaway or pickup), the
// menu grid, the check being rung up with a seat and a course on each line, then "Send to
// kitchen" for a table or "Pay" at the counter. Every order goes through the outbox: written
// on this till before it is shown as taken, then sent, so a dropped network loses nothing.
import { useEffect, useMemo, useState } from 'react';
import { useStore } from '@nanostores/react';
import { delivery } from '../../../stores/cart';
import DeliveryCheck from '../DeliveryCheck';
import { api, ApiError, idempotencyKey, type Menu, type MenuItem, type Order } from '../../../lib/api';
import type { Device } from '../../../lib/device';
import { till } from '../../../stores/auth';
import { addCombo, addToCheck, adjustmentFields, checkTotal, needsApproval, orderLines, type Adjustments, type CheckLine, type OrderKind } from '../../../lib/till';
import { verifyManager } from '../../../lib/offline-staff';
import { keptFloor, mayAddOffline } from './floor-plan';
import { offlineRef, save, send, take, unreachable, type Job } from '../../../lib/outbox';
import { formatClock, formatNumber, type Lang } from '../../../i18n';
import ItemDialog from '../ItemDialog';
import ItemGrid from './ItemGrid';
import ComboDialog from './ComboDialog';
import CheckPanel from './CheckPanel';
import TableChecks, { chargeCard, payCash } from './TableChecks';
import Tender from './Tender';
import Receipt from './Receipt';
import Adjust from './Adjust';
import { pos } from './strings';
import { useOnline, type OpenView, type Opening, type Staff } from './shell';
import { messages } from '../DeviceGate';

const COURSES = 3;

export default function Till({ lang, device, staff, menu, menuError: error, opening }: {
  lang: Lang;
  device: Device;
  staff: Staff;
  menu: Menu | null;
  menuError: unknown;
  opening: Opening;
  onOpen: OpenView;
}) {
  const tr = pos(lang);
  const online = useOnline();
  const [kind, setKind] = useState<OrderKind>(opening.kind);
  const [table, setTable] = useState(opening.table ?? '');
  const [guests, setGuests] = useState(opening.guests ?? 2);
  const [seat, setSeat] = useState<number | null>(opening.kind === 'dine_in' ? 1 : null);
  const [course, setCourse] = useState<number | null>(opening.kind === 'dine_in' ? 1 : null);
  const [customer, setCustomer] = useState({ name: '', phone: '' });
  const [lines, setLines] = useState<CheckLine[]>([]);
  const [adj, setAdj] = useState<Adjustments>({ reason: tr.adjust.reasons[0]! });
  const [managerPin, setManagerPin] = useState('');
  const [picking, setPicking] = useState<MenuItem | null>(null);
  const [combo, setCombo] = useState<Menu['menus'][number]['categories'][number]['combos'][number] | null>(null);
  const [tendering, setTendering] = useState(false);
  // A counter order placed for a card (or part of the amount) and not yet paid in full.
  const [counterOrder, setCounterOrder] = useState<Order | null>(null);
  const [receipt, setReceipt] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const [reload, setReload] = useState(0);
  // Each order taken starts the next one afresh (the delivery address step too).
  const [taken, setTaken] = useState(0);

  useEffect(() => {
    setKind(opening.kind);
    setTable(opening.table ?? '');
    if (opening.guests) setGuests(opening.guests);
  }, [opening]);

  useEffect(() => {
    const dineIn = kind === 'dine_in';
    setSeat(dineIn ? 1 : null);
    setCourse(dineIn ? 1 : null);
  }, [kind]);

  // Keys on a till with a keyboard: "/" searches the menu, F8 sends or pays, Escape leaves the
  // search.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLElement && ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.target.tagName);
      if (e.key === '/' && !typing) {
        e.preventDefault();
        document.getElementById('till-search')?.focus();
      } else if (e.key === 'F8') {
        e.preventDefault();
        document.querySelector<HTMLButtonElement>('.till-primary:not(:disabled)')?.click();
      } else if (e.key === 'Escape' && (e.target as HTMLElement)?.id === 'till-search') {
        (e.target as HTMLInputElement).blur();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // A delivery taken by phone: the address checked against the zones (the fee is the zone's).
  const quote = useStore(delivery);
  const fee = kind === 'delivery' && quote?.ok ? (quote.fee ?? 0) : 0;
  const total = useMemo(() => checkTotal(lines, adj) + fee, [lines, adj, fee]);
  const approval = needsApproval(lines, adj, staff.role);
  const n = (x: number) => formatNumber(lang, x);

  function tap(item: MenuItem) {
    setNotice('');
    if ((item.modifierGroupIds ?? []).length > 0) setPicking(item);
    else setLines((ls) => addToCheck(ls, menu!, item, { seat, course }));
  }

  function body(payment?: { tendered: number }): Job['body'] {
    const clientRef = crypto.randomUUID();
    const phoned = kind === 'pickup' || kind === 'delivery';
    const note = phoned && customer.name.trim() ? customer.name.trim() : '';
    return {
      clientRef,
      branchId: device.branchId,
      type: kind,
      lines: orderLines(lines, adj.reason),
      ...adjustmentFields(adj, approval ? managerPin : undefined),
      ...(kind === 'dine_in' ? { table: table.trim() } : {}),
      ...(note ? { notes: note } : {}),
      ...(phoned && customer.phone.trim() ? { contactPhone: customer.phone.trim() } : {}),
      ...(kind === 'delivery' && quote?.ok && quote.to ? { delivery: quote.to } : {}),
      ...(payment ? { payment: { method: 'cash', tendered: payment.tendered } } : {}),
    };
  }

  /** Marks a job as taken offline: its number from this till's range, and a note the kitchen
   *  sees when it syncs. */
  async function offline(job: Job): Promise<Job> {
    const ref = job.offlineRef ?? (await offlineRef(device));
    const at = formatClock('en', job.takenAt);
    // Whoever is signed in when it syncs sends it: the note keeps who took it.
    const notes = [job.body.notes, `Taken offline at ${at} · ${ref} · ${job.staffName}`].filter(Boolean).join(' · ');
    const marked = { ...job, offlineRef: ref, body: { ...job.body, notes } };
    await save(marked);
    return marked;
  }

  /** Takes the order into the outbox, clears the check, then sends it. */
  async function submit(accept: boolean, payment?: { tendered: number; amount: number }): Promise<Job> {
    // Offline, a manager who is here approves against the PIN kept on this till; the server
    // checks the same PIN again when the order syncs.
    if (approval && !navigator.onLine && !(await verifyManager(device.id, managerPin))) throw new Error(tr.adjust.wrongPin);
    if (kind === 'dine_in' && !navigator.onLine && !mayAddOffline((await keptFloor(device.branchId).catch(() => null)) ?? [], table, device.id)) {
      throw new Error(tr.offline.tableElsewhere);
    }
    const b = body(payment);
    let job = await take({
      clientRef: b.clientRef,
      key: idempotencyKey(),
      body: b,
      accept,
      offlineRef: null,
      staffId: staff.id,
      staffName: staff.name,
      cash: payment?.amount ?? 0,
    });
    setLines([]);
    setAdj({ reason: tr.adjust.reasons[0]! });
    setManagerPin('');
    setCustomer({ name: '', phone: '' });
    delivery.set(null);
    setTaken((x) => x + 1);
    if (!navigator.onLine) return offline(job);
    try {
      job = await send(job, till);
    } catch (e) {
      if (unreachable(e)) return offline(job);
      throw e;
    }
    if (job.state === 'refused') throw new ApiError(job.problem!.status, job.problem!.code, job.problem!.detail, undefined);
    return job;
  }

  async function sendToKitchen(accept = true) {
    setErrors([]);
    try {
      const job = await submit(accept);
      if (!job.number) setNotice(tr.offline.queued(job.offlineRef ?? ''));
      else setNotice(accept ? tr.sent(n(job.number)) : tr.held(n(job.number)));
      setReload((r) => r + 1);
    } catch (e) {
      setErrors(messages(e));
    }
  }

  /** A counter order placed without payment (for a card, or a part of the amount). */
  async function placed(): Promise<Order> {
    if (counterOrder) return counterOrder;
    const job = await submit(false);
    if (!job.orderId) throw new Error(tr.tender.cardOffline);
    const order = await api<Order>(`/api/orders/${job.orderId}`, { tokens: till });
    setCounterOrder(order);
    return order;
  }

  /** Paid in full: to the kitchen, and the receipt. */
  async function finish(order: Order) {
    if (order.status === 'placed') await api(`/api/orders/${order.id}/status`, { body: { status: 'accepted' }, tokens: till }).catch(() => {});
    setCounterOrder(null);
    setNotice(tr.sent(n(order.number)));
    setReceipt(order.id);
  }

  async function onCash(tendered: number, amount: number): Promise<number> {
    if (!counterOrder && amount >= total) {
      const job = await submit(true, { tendered, amount });
      if (job.orderId) setReceipt(job.orderId);
      setNotice(job.number ? tr.sent(n(job.number)) : tr.offline.queued(job.offlineRef ?? ''));
      return 0;
    }
    const order = await placed();
    const due = await payCash(order, tendered, Math.min(amount, order.due));
    const after = { ...order, due, paid: order.total - due };
    setCounterOrder(after);
    if (due === 0) await finish(after);
    return due;
  }

  async function onCard(amount: number) {
    const order = await placed();
    const r = await chargeCard(order, Math.min(amount, order.due));
    const after = { ...order, due: r.due, paid: order.total - r.due };
    setCounterOrder(after);
    if (r.due === 0) await finish(after);
    return r;
  }

  /** A counter order placed for a card and left unpaid stays an open order of the day (in
   *  Orders, to pay or void), not the next check's tender. */
  function closeTender() {
    setTendering(false);
    if (counterOrder && counterOrder.due > 0) setNotice(tr.leftUnpaid(n(counterOrder.number)));
    setCounterOrder(null);
  }

  if (error && !menu) return <div role="alert" className="error">{messages(error)}</div>;
  if (!menu) return <p aria-busy="true">…</p>;
  const dineIn = kind === 'dine_in';
  const deliveryReady = kind !== 'delivery' || (!!quote?.ok && customer.phone.trim().length > 0);
  const canSend = lines.length > 0 && (!dineIn || table.trim().length > 0) && deliveryReady && (!approval || managerPin.length >= 4);
  return (
    <div className="till-order">
      <ItemGrid lang={lang} menu={menu} onTap={tap} onCombo={setCombo} />
      <section className="till-check-col" aria-labelledby="check-title">
        <h2 id="check-title">{tr.check}</h2>
        <div role="radiogroup" aria-label={tr.orderType} className="till-segment">
          {(['dine_in', 'takeaway', 'pickup', 'delivery'] as const).map((k) => (
            <button key={k} type="button" role="radio" aria-checked={kind === k} className="btn secondary" onClick={() => setKind(k)}>{tr.types[k]}</button>
          ))}
        </div>
        {dineIn && (
          <div className="till-row">
            <span><label htmlFor="till-table">{tr.table}</label>
              <input id="till-table" maxLength={40} value={table} onChange={(e) => setTable(e.target.value)} /></span>
            <span><label htmlFor="till-guests">{tr.guests}</label>
              <input id="till-guests" type="number" min={1} max={100} inputMode="numeric" value={guests} onChange={(e) => setGuests(Math.max(1, Math.min(100, Number(e.target.value) || 1)))} /></span>
          </div>
        )}
        {(kind === 'pickup' || kind === 'delivery') && (
          <div className="till-row">
            <span><label htmlFor="till-name">{tr.customerName}</label>
              <input id="till-name" maxLength={80} value={customer.name} onChange={(e) => setCustomer({ ...customer, name: e.target.value })} /></span>
            <span><label htmlFor="till-phone">{tr.customerPhone}</label>
              <input id="till-phone" type="tel" dir="ltr" maxLength={20} value={customer.phone} onChange={(e) => setCustomer({ ...customer, phone: e.target.value })} /></span>
          </div>
        )}
        {kind === 'delivery' && <DeliveryCheck key={taken} lang={lang} branchId={device.branchId} currency={menu.currency} />}
        {dineIn && (
          <div className="till-row">
            <div role="radiogroup" aria-label={tr.seat} className="till-segment">
              <button type="button" role="radio" aria-checked={seat === null} className="btn secondary" onClick={() => setSeat(null)}>{tr.noSeat}</button>
              {Array.from({ length: guests }, (_, i) => i + 1).map((s) => (
                <button key={s} type="button" role="radio" aria-checked={seat === s} className="btn secondary" onClick={() => setSeat(s)}>{tr.seatN(n(s))}</button>
              ))}
            </div>
            <div role="radiogroup" aria-label={tr.course} className="till-segment">
              {Array.from({ length: COURSES }, (_, i) => i + 1).map((c) => (
                <button key={c} type="button" role="radio" aria-checked={course === c} className="btn secondary" onClick={() => setCourse(c)}>{tr.courseN(n(c))}</button>
              ))}
            </div>
          </div>
        )}
        <CheckPanel lang={lang} currency={menu.currency} lines={lines} adjustments={adj} fee={fee} seats={dineIn ? guests : 0} courses={dineIn ? COURSES : 0} onChange={setLines} />
        {lines.length > 0 && <Adjust lang={lang} value={adj} onChange={setAdj} approval={approval} pin={managerPin} onPin={setManagerPin} />}
        {notice && <p role="status" className="ok" data-testid="till-notice">{notice}</p>}
        {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
        <div className="till-actions">
          {dineIn || kind === 'delivery' ? (
            <>
              <button type="button" className="btn till-primary" disabled={!canSend} onClick={() => sendToKitchen()} aria-keyshortcuts="F8">
                {dineIn ? tr.send : tr.sendPayOnDelivery}
              </button>
              {dineIn && <button type="button" className="btn secondary" disabled={!canSend} onClick={() => sendToKitchen(false)}>{tr.hold}</button>}
              {!dineIn && <button type="button" className="btn secondary" disabled={!canSend} onClick={() => { setErrors([]); setTendering(true); }}>{tr.pay}</button>}
            </>
          ) : (
            <button type="button" className="btn till-primary" disabled={!canSend} onClick={() => { setErrors([]); setTendering(true); }} aria-keyshortcuts="F8">{tr.pay}</button>
          )}
          <button type="button" className="btn secondary" disabled={lines.length === 0} onClick={() => setLines([])}>{tr.clear}</button>
        </div>
        {dineIn && table.trim() && <TableChecks lang={lang} branchId={device.branchId} table={table.trim()} reload={reload} />}
      </section>
      {picking && (
        <ItemDialog lang={lang} menu={menu} item={picking} addLabel={tr.addLine} preselect onClose={() => setPicking(null)}
          onAdd={async (options, quantity, notes) => {
            setLines((ls) => addToCheck(ls, menu, picking, { options, quantity, notes, seat, course }));
            setPicking(null);
          }} />
      )}
      {combo && (
        <ComboDialog lang={lang} menu={menu} combo={combo} onClose={() => setCombo(null)}
          onAdd={(choices) => {
            setLines((ls) => addCombo(ls, menu, combo, choices, { seat, course }));
            setCombo(null);
          }} />
      )}
      {tendering && (
        <Tender lang={lang} currency={menu.currency} title={tr.pay} due={counterOrder?.due ?? total} online={online}
          onCash={onCash} onCard={onCard} onClose={closeTender} />
      )}
      {receipt && !tendering && <Receipt lang={lang} orderId={receipt} onClose={() => setReceipt(null)} />}
    </div>
  );
}

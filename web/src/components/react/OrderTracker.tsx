// Live order status: the order is read once, then every event about it (over SSE, resumed with
// Last-Event-ID after a drop) reloads it; after a reconnect it is read again, so a status that
// changed while offline shows up even if the event was older than the replay window. A delivery
// order also shows its delivery (GET /api/orders/{id}/delivery): where it goes, the estimate, the
// driver and the hand-over code, and the driver's position as `delivery.position` events arrive.
import { useEffect, useState } from 'react';
import { useStore } from '@nanostores/react';
import { guest, customer } from '../../stores/auth';
import { link, followLive } from '../../stores/sse';
import { follow } from '../../lib/sse';
import { api, ApiError, type Order, type Schemas } from '../../lib/api';
import { startPayment, pendingPayment, settle } from '../../lib/payment';
import { problemMessage } from '../../lib/problems';
import { t, pick, formatPrice, formatNumber, formatClock, numberFormat, locale, type Lang } from '../../i18n';

type Tracking = Schemas['Tracking'];
type Entry = Schemas['EntryDto'];
type Estimate = Schemas['Estimate'];

interface Props {
  lang: Lang;
  orderId: string;
  as: 'guest' | 'customer';
}

/** The steps an order of this type goes through, in order. */
export function steps(type: string): string[] {
  switch (type) {
    case 'dine_in':
      return ['placed', 'accepted', 'preparing', 'ready', 'served'];
    case 'delivery':
      return ['placed', 'accepted', 'preparing', 'ready', 'out_for_delivery', 'delivered'];
    default:
      return ['placed', 'accepted', 'preparing', 'ready', 'picked_up'];
  }
}

export default function OrderTracker(props: Props) {
  const tr = t(props.lang);
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [payment, setPayment] = useState<string | null>(null);
  const [tracking, setTracking] = useState<Tracking | null>(null);
  const [entry, setEntry] = useState<Entry | null>(null);
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const state = useStore(link);
  const tokens = props.as === 'customer' ? customer : guest;

  useEffect(() => {
    let alive = true;
    const loadTracking = () =>
      api<Tracking>(`/api/orders/${props.orderId}/delivery`, { tokens })
        .then((d) => alive && setTracking(d))
        .catch(() => {});
    // When the order should be ready: read again with the order, since every status change (the
    // kitchen taking it, a bump) moves it.
    const loadEstimate = () =>
      api<Estimate>(`/api/orders/${props.orderId}/estimate`, { tokens })
        .then((e) => alive && setEstimate(e))
        .catch(() => {});
    const load = () =>
      api<Order>(`/api/orders/${props.orderId}`, { tokens })
        .then((o) => {
          if (!alive) return;
          setOrder(o);
          loadEstimate();
          if (o.type === 'delivery') loadTracking();
        })
        .catch((e) => alive && setError(problemMessage(props.lang, e)));
    load();
    // Back from the payment page: the provider's webhook books the payment; ask until it has.
    const sessionId = pendingPayment(props.orderId);
    if (sessionId) {
      setPayment('pending');
      settle(sessionId, tokens).then((status) => {
        if (!alive) return;
        setPayment(status);
        load();
      });
    }
    let wasLive = false;
    const stop = followLive({
      channel: 'orders',
      tokens,
      onEvent: (ev) => {
        const p = ev.payload ?? {};
        // A ping moves the driver on the page without a round trip.
        if (ev.type === 'delivery.position' && p.orderId === props.orderId) {
          setTracking((d) => (d ? { ...d, etaMinutes: p.etaMinutes ?? d.etaMinutes, driverPosition: { lat: p.lat, lng: p.lng, at: p.at } } : d));
          return;
        }
        if (p.orderId === props.orderId || p.id === props.orderId || ev.stream === `order:${props.orderId}`) load();
      },
      onReset: () => load(),
    });
    const unlisten = link.listen((s) => {
      if (s === 'live' && wasLive) load();
      if (s === 'live') wasLive = true;
    });
    return () => {
      alive = false;
      stop();
      unlisten();
    };
  }, [props.orderId]);

  // A pickup order waits in the branch's pickup line once the counter puts it there: its place
  // (GET /api/orders/{id}/queue, 404 until then) and `queue.position` events for it.
  const inLine = order?.type === 'pickup' || order?.type === 'takeaway';
  useEffect(() => {
    if (!inLine) return;
    let alive = true;
    let known: string | null = null;
    const loadEntry = () =>
      api<Entry>(`/api/orders/${props.orderId}/queue`, { tokens })
        .then((e) => {
          if (!alive) return;
          known = e.id;
          setEntry(e);
        })
        .catch(() => {});
    loadEntry();
    const stop = follow({
      channel: 'queue',
      tokens,
      onEvent: (ev) => {
        const p = ev.payload ?? {};
        if (known && p.entryId === known) {
          if (ev.type === 'queue.position') {
            setEntry((e) => (e ? { ...e, status: p.status, position: p.position, estimatedWaitMinutes: p.estimatedWaitMinutes } : e));
          } else {
            loadEntry();
          }
        } else if (!known) {
          // The guest's events are their own entries': the first one may be this order's.
          loadEntry();
        }
      },
      onReset: () => loadEntry(),
    });
    return () => {
      alive = false;
      stop();
    };
  }, [props.orderId, inLine]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!order) return <p aria-busy="true">…</p>;
  const path = steps(order.type);
  const ended = ['cancelled', 'voided'].includes(order.status);
  const reached = path.indexOf(order.status === 'closed' ? path[path.length - 1]! : order.status);
  const money = (n: number) => formatPrice(props.lang, order.currency, n);

  return (
    <section aria-labelledby="order-title" data-order={order.id} data-status={order.status}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: '.5rem', flexWrap: 'wrap' }}>
        <h1 id="order-title">{tr.orderTitle(formatNumber(props.lang, order.number))}</h1>
        <span className={`pill ${state}`} data-link={state}>{state === 'live' ? tr.live : state === 'closed' ? tr.offline : tr.reconnecting}</span>
      </div>
      <p role="status" aria-live="polite" style={{ fontSize: '1.25rem', fontWeight: 700 }} data-testid="order-status">
        {tr.status[order.status] ?? order.status}
      </p>
      {order.table && <p className="muted">{tr.table(order.table)}</p>}
      {order.contactPhone && (
        <p className="muted" data-testid="contact-phone">{tr.phoneToCall}: <bdi dir="ltr">{order.contactPhone}</bdi></p>
      )}
      {estimate?.readyBy && estimate.minutes != null && !ended && (
        <p role="status" aria-live="polite" data-testid="ready-by" data-basis={estimate.basis}>
          {tr.readyBy(formatClock(props.lang, estimate.readyBy), formatNumber(props.lang, estimate.minutes))}
        </p>
      )}
      {entry && entry.status === 'waiting' && entry.position != null && !ended && (
        <p className="card" role="status" aria-live="polite" data-testid="queue-position" data-position={entry.position}>
          <strong>{tr.queuePosition(formatNumber(props.lang, entry.position))}</strong>
          {entry.estimatedWaitMinutes != null && <><br />{tr.eta(formatNumber(props.lang, entry.estimatedWaitMinutes))}</>}
        </p>
      )}
      {payment && (
        <p role="status" data-payment={payment} className={payment === 'succeeded' ? 'ok' : payment === 'pending' ? 'muted' : 'error'}>
          {tr.payment[payment] ?? payment}
        </p>
      )}
      {!ended && (
        <ol style={{ listStyle: 'none', padding: 0, display: 'grid', gap: '.25rem' }} aria-label={tr.status.placed}>
          {path.map((s, i) => (
            <li key={s} data-step={s} aria-current={i === reached ? 'step' : undefined}
              style={{ display: 'flex', gap: '.5rem', alignItems: 'center', opacity: i <= reached ? 1 : 0.5 }}>
              <span aria-hidden="true" style={{ inlineSize: '1.25rem', blockSize: '1.25rem', borderRadius: '50%', background: i <= reached ? 'var(--ok)' : 'var(--line)' }} />
              <span style={{ fontWeight: i === reached ? 700 : 400 }}>{tr.status[s]}</span>
            </li>
          ))}
        </ol>
      )}
      {tracking && !ended && <DeliveryPanel lang={props.lang} d={tracking} />}
      <ul className="card" style={{ listStyle: 'none' }}>
        {order.lines.map((l) => (
          <li key={l.id} style={{ display: 'flex', justifyContent: 'space-between', gap: '.5rem' }}>
            <span>{formatNumber(props.lang, l.quantity)} × {pick(props.lang, l.name, l.nameAr)}</span>
            <span>{money(l.gross)}</span>
          </li>
        ))}
        <li style={{ display: 'flex', justifyContent: 'space-between', fontWeight: 700, borderBlockStart: '1px solid var(--line)', marginBlockStart: '.5rem' }}>
          <span>{tr.total}</span><span>{money(order.total)}</span>
        </li>
        <li style={{ display: 'flex', justifyContent: 'space-between' }}>
          <span>{order.due > 0 ? tr.due : tr.paid}</span><span data-testid="order-due">{money(order.due > 0 ? order.due : order.paid)}</span>
        </li>
      </ul>
      {order.due > 0 && !ended && (
        <button type="button" className="btn secondary" onClick={async () => {
          const s = await startPayment(order.id, location.pathname + location.search, tokens);
          if (s.redirectUrl) location.assign(s.redirectUrl);
        }}>{tr.payNow}</button>
      )}
    </section>
  );
}

/** Where the delivery is: the address, the estimate, the driver and their last position, and
 *  the code the guest tells the driver at the door. */
function DeliveryPanel({ lang, d }: { lang: Lang; d: Tracking }) {
  const tr = t(lang);
  const coord = (n: number) => numberFormat(locale(lang), { minimumFractionDigits: 4, maximumFractionDigits: 4 }).format(n);
  const done = d.status === 'delivered';
  return (
    <section className="card" aria-labelledby="delivery-title" data-testid="delivery" data-delivery-status={d.status}>
      <h2 id="delivery-title" style={{ marginBlockStart: 0 }}>{tr.delivery}</h2>
      <p style={{ margin: '.25rem 0' }}>
        <span className="muted">{tr.deliverTo}: </span>{d.address}{d.addressNotes ? ` — ${d.addressNotes}` : ''}
      </p>
      {!done && (
        <p role="status" aria-live="polite" style={{ margin: '.25rem 0', fontWeight: 700 }} data-testid="delivery-eta">
          {tr.eta(formatNumber(lang, d.etaMinutes))}
        </p>
      )}
      <p style={{ margin: '.25rem 0' }} data-testid="driver">{d.driverName ? tr.driver(d.driverName) : tr.driverWaiting}</p>
      {d.driverPosition && !done && (
        <p style={{ margin: '.25rem 0' }} data-testid="driver-position" data-lat={d.driverPosition.lat} data-lng={d.driverPosition.lng}>
          {tr.driverAt(coord(d.driverPosition.lat), coord(d.driverPosition.lng))}
        </p>
      )}
      {d.handoverCode && !done && (
        <p style={{ margin: '.25rem 0' }}>
          {tr.handoverCode}: <strong dir="ltr" style={{ fontSize: '1.5rem', letterSpacing: '.2em' }} data-testid="handover-code">{d.handoverCode}</strong>
        </p>
      )}
    </section>
  );
}

// The cart. At a QR table it is the table's shared cart: joining starts a guest session, every
// member's lines show live (the cart's events over SSE), and anyone can check out. On the
// website it is the guest's or customer's own pickup (or delivery) cart. Choosing an item from
// the menu opens its options; the order goes to the counter or to the online payment page.
import { useEffect, useRef, useState } from 'react';
import { useStore } from '@nanostores/react';
import { cart, cartSummaries, delivery, picked, webCartIds, isNewer, reload, addLine, removeLine, setQuantity, moveLines, lineOptions, checkout } from '../../stores/cart';
import { guest, customer, subject, restore, adopt, cookieMode, type Session } from '../../stores/auth';
import { link, followLive } from '../../stores/sse';
import { startPayment } from '../../lib/payment';
import { deliveryProblem } from '../../lib/delivery';
import { problemMessage } from '../../lib/problems';
import { api, ApiError, type Cart as CartDto, type Menu, type MenuItem, type TokenPair } from '../../lib/api';
import ItemDialog from './ItemDialog';
import { t, pick, formatPrice, formatNumber, numberFormat, type Lang } from '../../i18n';
import CartBar from './CartBar';

interface Props {
  lang: Lang;
  menu: Menu;
  brand: string;
  /** QR table ordering. */
  tableToken?: string;
  /** Website ordering: the branch and how the order is handed over. */
  branchId?: string;
  type?: 'pickup' | 'delivery';
  /** An item to open at once (the browse menu's "Add" links here with it). */
  addItem?: string;
}

interface Joined {
  cart: CartDto;
  session?: TokenPair | null;
  you: { id: string; name: string };
}

function findItem(menu: Menu, id: string): MenuItem | undefined {
  for (const m of menu.menus) for (const c of m.categories) for (const i of c.items) if (i.id === id) return i;
  return undefined;
}

const TIPS = [0, 5, 10, 15];

export default function Cart(props: Props) {
  const tr = t(props.lang);
  const current = useStore(cart);
  const chosenId = useStore(picked);
  const linkState = useStore(link);
  const [error, setError] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [tipPct, setTipPct] = useState(0);
  const [notes, setNotes] = useState('');
  const [phone, setPhone] = useState('');
  const [me, setMe] = useState<string | null>(null);
  const sessionRef = useRef<Session>(guest);
  const signedIn = useStore(customer.store);
  const quote = useStore(delivery);

  // Join the table (QR) or open the website cart.
  useEffect(() => {
    let stop: (() => void) | undefined;
    let cancelled = false;
    (async () => {
      try {
        let c: CartDto;
        // After a reload the sessions come back from their cookies first.
        await Promise.all([restore(customer), restore(guest)]);
        if (cancelled) return;
        if (props.tableToken) {
          sessionRef.current = guest;
          const joined = await api<Joined>(`/api/tables/${props.tableToken}/join`, { body: {}, tokens: guest });
          if (joined.session) await adopt(guest, joined.session);
          c = joined.cart;
        } else {
          const s = customer.get() ? customer : guest;
          sessionRef.current = s;
          if (!s.get()) {
            guest.set(
              await api<TokenPair>('/api/auth/guest', {
                body: { tenant: props.brand, branchId: props.branchId },
                headers: cookieMode(guest),
              }),
            );
          }
          const key = `${props.branchId}:${props.type}:${subject(s)}`;
          const known = webCartIds.get()[key];
          let found: CartDto | null = null;
          if (known) found = await api<CartDto>(`/api/carts/${known}`, { tokens: s }).catch(() => null);
          if (!found || found.status !== 'open') {
            found = await api<CartDto>('/api/carts', { body: { branchId: props.branchId, type: props.type }, tokens: s });
            webCartIds.set({ ...webCartIds.get(), [key]: found.id });
          }
          // Switching between pickup and delivery keeps the order: the lines of the other
          // type's cart move into this one (a cart's type is fixed when it is opened).
          const otherKey = `${props.branchId}:${props.type === 'delivery' ? 'pickup' : 'delivery'}:${subject(s)}`;
          const otherId = webCartIds.get()[otherKey];
          if (otherId && !found.lines.some((l) => !l.orderId)) {
            const other = await api<CartDto>(`/api/carts/${otherId}`, { tokens: s }).catch(() => null);
            if (other?.status === 'open' && other.lines.some((l) => !l.orderId)) found = await moveLines(s, other, found);
          }
          c = found;
        }
        if (cancelled) return;
        cart.set(c);
        setMe(subject(sessionRef.current));
        if (props.addItem && findItem(props.menu, props.addItem)) {
          picked.set(props.addItem);
          // A reload should not open the item again.
          const url = new URL(location.href);
          url.searchParams.delete('add');
          history.replaceState(history.state, '', url);
        }
        stop = followLive({
          channel: 'orders',
          params: { cartId: c.id },
          tokens: sessionRef.current,
          onEvent: (ev) => {
            if (isNewer(cart.get(), ev)) reload(sessionRef.current).catch(() => {});
          },
          onReset: () => reload(sessionRef.current).catch(() => {}),
        });
      } catch (e) {
        setError([problemMessage(props.lang, e)]);
      }
    })();
    return () => {
      cancelled = true;
      stop?.();
    };
  // Signing in or out switches whose cart this is; a token refresh does not.
  }, [props.tableToken, props.branchId, props.type, !!signedIn]);

  const open = (current?.lines ?? []).filter((l) => !l.orderId);
  const totals = (current?.totals ?? null) as any;
  const itemsTotal: number = totals?.total ?? open.reduce((s, l) => s + l.unitPrice * l.quantity, 0);
  const tip = Math.round((itemsTotal * tipPct) / 100);
  // A delivery order adds the accepted zone's fee (the server adds the same at checkout).
  const fee = props.type === 'delivery' && quote?.ok ? quote.fee ?? 0 : 0;
  const currency = props.menu.currency;
  const money = (n: number) => formatPrice(props.lang, currency, n);
  // A delivery cart under the zone's minimum cannot be sent; the guest sees what is missing.
  const minimum = props.type === 'delivery' && quote?.ok ? quote.minimumOrder ?? 0 : 0;
  const missing = open.length > 0 && minimum > itemsTotal ? minimum - itemsTotal : 0;
  const count = open.reduce((n, l) => n + l.quantity, 0);
  const [stepping, setStepping] = useState<string | null>(null);
  // The browse menu shows the website cart's bar from this summary.
  useEffect(() => {
    if (props.tableToken || !props.branchId || !props.type || !current || current.status !== 'open') return;
    const all = { ...cartSummaries.get() };
    if (count > 0) all[props.branchId] = { count, total: itemsTotal, currency, type: props.type };
    else delete all[props.branchId];
    cartSummaries.set(all);
  }, [current?.id, current?.version, count, itemsTotal]);
  async function step(line: (typeof open)[number], quantity: number) {
    setStepping(line.id);
    setError([]);
    try {
      if (quantity < 1) await removeLine(sessionRef.current, line.id);
      else await setQuantity(sessionRef.current, line, quantity);
    } catch (e) {
      setError([problemMessage(props.lang, e)]);
    } finally {
      setStepping(null);
    }
  }

  async function place(online: boolean) {
    setBusy(true);
    setError([]);
    try {
      const to = props.type === 'delivery' ? quote?.to : undefined;
      const order = await checkout(sessionRef.current, {
        tip,
        notes: notes.trim() || undefined,
        contactPhone: props.tableToken ? undefined : phone.trim() || undefined,
        delivery: to,
      });
      // The order is placed: the browse menu's bar must not show these lines any more.
      if (props.branchId && !props.tableToken) {
        const { [props.branchId]: _sent, ...rest } = cartSummaries.get();
        cartSummaries.set(rest);
      }
      const who = sessionRef.current === customer ? '?as=customer' : '';
      const back = `/${props.lang}/order/${order.id}${who}`;
      if (online) {
        const s = await startPayment(order.id, back, sessionRef.current);
        location.assign(s.redirectUrl ?? back);
      } else {
        location.assign(back);
      }
    } catch (e) {
      setError([props.type === 'delivery' ? deliveryProblem(props.lang, e, currency, quote?.minimumOrder) : problemMessage(props.lang, e)]);
      setBusy(false);
    }
  }

  const chosen = chosenId ? findItem(props.menu, chosenId) : undefined;
  const canOrder = !!current && open.length > 0 && !busy && missing === 0 && (props.type !== 'delivery' || !!quote?.ok);

  return (
    <aside aria-labelledby="cart-title" className="card cart" id="cart" data-cart={current?.id ?? ''}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: '.5rem' }}>
        <h2 id="cart-title" tabIndex={-1} style={{ margin: 0 }}>{props.tableToken ? tr.cart : tr.webCart}</h2>
        <span className={`pill ${linkState}`} role="status" data-link={linkState}>
          {linkState === 'live' ? tr.live : linkState === 'closed' ? tr.offline : tr.reconnecting}
        </span>
      </div>
      {current?.table && <p className="muted" style={{ margin: 0 }}>{tr.table(current.table.label)}</p>}
      {error.length > 0 && (
        <div role="alert" className="error">{error.map((m) => <p key={m} style={{ margin: '.25rem 0' }}>{m}</p>)}</div>
      )}
      {open.length === 0 ? (
        <p className="muted">{tr.emptyCart}</p>
      ) : (
        <ul style={{ listStyle: 'none', padding: 0, margin: '.5rem 0' }} data-testid="cart-lines">
          {open.map((l) => {
            const opts = lineOptions(props.lang, l);
            const mine = l.addedBy.id === me;
            const name = pick(props.lang, l.name, l.nameAr);
            return (
              <li key={l.id} data-line={l.id} data-product={l.productId} style={{ borderBlockEnd: '1px solid var(--line)', paddingBlock: '.5rem' }}>
                <div style={{ display: 'flex', justifyContent: 'space-between', gap: '.5rem' }}>
                  <span><span data-testid="line-qty">{formatNumber(props.lang, l.quantity)}</span> × {name}</span>
                  <span data-testid="line-total">{money(l.unitPrice * l.quantity)}</span>
                </div>
                {opts.length > 0 && <div className="muted" data-testid="line-options">{opts.join(props.lang === 'ar' ? '، ' : ', ')}</div>}
                {l.notes && <div className="muted" data-testid="line-notes">“{l.notes}”</div>}
                {l.problem && <div className="error">{problemMessage(props.lang, new ApiError(409, 'line_unavailable', l.problem, undefined))}</div>}
                <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: '.5rem', flexWrap: 'wrap' }}>
                  <small className="muted">{tr.addedBy(mine ? tr.you : l.addedBy.name)}</small>
                  {mine && (
                    <div style={{ display: 'flex', alignItems: 'center', gap: '.25rem' }}>
                      <div className="stepper" role="group" aria-label={tr.quantityOf(name)}>
                        <button type="button" className="btn secondary" disabled={stepping === l.id || l.quantity <= 1}
                          onClick={() => step(l, l.quantity - 1)} aria-label={tr.less(name)}>−</button>
                        <output aria-live="polite">{formatNumber(props.lang, l.quantity)}</output>
                        <button type="button" className="btn secondary" disabled={stepping === l.id || l.quantity >= 99}
                          onClick={() => step(l, l.quantity + 1)} aria-label={tr.more(name)}>+</button>
                      </div>
                      <button type="button" className="btn secondary" disabled={stepping === l.id}
                        onClick={() => step(l, 0)} aria-label={`${tr.remove}: ${name}`}>
                        {tr.remove}
                      </button>
                    </div>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {open.length > 0 && (
        <>
          <fieldset style={{ border: 0, padding: 0, margin: '.5rem 0' }}>
            <legend style={{ fontWeight: 600 }}>{tr.tip}</legend>
            <div style={{ display: 'flex', gap: '.4rem', flexWrap: 'wrap' }}>
              {TIPS.map((p) => (
                <button key={p} type="button" className={`btn ${tipPct === p ? '' : 'secondary'}`} aria-pressed={tipPct === p} onClick={() => setTipPct(p)}>
                  {p === 0 ? tr.noTip : numberFormat(props.lang === 'ar' ? 'ar-SA' : 'en', { style: 'percent' }).format(p / 100)}
                </button>
              ))}
            </div>
          </fieldset>
          <label htmlFor="order-notes">{tr.orderNotes}</label>
          <textarea id="order-notes" maxLength={500} rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} />
          {/* Pickup and delivery orders from the website: the restaurant may need to call. A
              number is always written left to right, in Arabic pages too. */}
          {!props.tableToken && (
            <>
              <label htmlFor="order-phone">{tr.contactPhone}</label>
              <input id="order-phone" type="tel" inputMode="tel" autoComplete="tel" dir="ltr" maxLength={40}
                aria-describedby="order-phone-hint" style={{ minBlockSize: '2.75rem' }}
                value={phone} onChange={(e) => setPhone(e.target.value)} />
              <small id="order-phone-hint" className="muted">{tr.contactPhoneHint}</small>
            </>
          )}
          <dl style={{ display: 'grid', gridTemplateColumns: '1fr auto', gap: '.25rem', margin: '.75rem 0' }}>
            <dt>{tr.subtotal}</dt><dd style={{ margin: 0 }}>{money(itemsTotal)}</dd>
            {totals?.vat != null && (<><dt className="muted">{tr.vat}</dt><dd className="muted" style={{ margin: 0 }}>{money(totals.vat)}</dd></>)}
            {fee > 0 && (<><dt>{tr.deliveryFee}</dt><dd style={{ margin: 0 }} data-testid="cart-delivery-fee">{money(fee)}</dd></>)}
            {tip > 0 && (<><dt>{tr.tip}</dt><dd style={{ margin: 0 }}>{money(tip)}</dd></>)}
            <dt><strong>{tr.total}</strong></dt><dd style={{ margin: 0 }} data-testid="cart-total"><strong>{money(itemsTotal + fee + tip)}</strong></dd>
          </dl>
          {props.type === 'delivery' && !quote?.ok && <p className="muted" data-testid="check-first">{tr.checkFirst}</p>}
          {missing > 0 && <p className="error" data-testid="below-minimum">{tr.belowMinimumBy(money(missing), money(minimum))}</p>}
          <div style={{ display: 'grid', gap: '.5rem' }}>
            <button type="button" className="btn" disabled={!canOrder} onClick={() => place(false)}>{busy ? tr.placing : tr.payAtCounter}</button>
            <button type="button" className="btn secondary" disabled={!canOrder} onClick={() => place(true)}>{tr.payOnline}</button>
          </div>
        </>
      )}
      {count > 0 && <CartBar lang={props.lang} count={count} total={money(itemsTotal + fee + tip)} />}
      {chosen && current && (
        <ItemDialog
          key={chosen.id}
          lang={props.lang}
          menu={props.menu}
          item={chosen}
          onClose={() => picked.set(null)}
          onAdd={async (options, quantity, lineNotes) => {
            await addLine(sessionRef.current, { productId: chosen.id, options, quantity, ...(lineNotes ? { notes: lineNotes } : {}) });
            picked.set(null);
          }}
        />
      )}
    </aside>
  );
}

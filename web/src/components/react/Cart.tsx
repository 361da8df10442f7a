// The cart. At a QR table it is the table's shared cart: joining starts a guest session, every
// member's lines show live (the cart's events over SSE), and anyone can check out. On the
// website it is the guest's or customer's own pickup (or delivery) cart. Choosing an item from
// the menu opens its options; the order goes to the counter or to the online payment page.
import { useEffect, useRef, useState } from 'react';
import { useStore } from '@nanostores/react';
import { cart, delivery, picked, webCartIds, isNewer, reload, addLine, removeLine, checkout } from '../../stores/cart';
import { guest, customer, subject, restore, adopt, cookieMode, type Session } from '../../stores/auth';
import { link, followLive } from '../../stores/sse';
import { startPayment } from '../../lib/payment';
import { deliveryProblem } from '../../lib/delivery';
import { api, ApiError, type Cart as CartDto, type Menu, type MenuItem, type TokenPair } from '../../lib/api';
import ItemDialog from './ItemDialog';
import { t, pick, formatPrice, formatNumber, numberFormat, type Lang } from '../../i18n';

interface Props {
  lang: Lang;
  menu: Menu;
  brand: string;
  /** QR table ordering. */
  tableToken?: string;
  /** Website ordering: the branch and how the order is handed over. */
  branchId?: string;
  type?: 'pickup' | 'delivery';
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
          c = found;
        }
        if (cancelled) return;
        cart.set(c);
        setMe(subject(sessionRef.current));
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
        setError(e instanceof ApiError ? e.messages() : [String(e)]);
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
      const who = sessionRef.current === customer ? '?as=customer' : '';
      const back = `/${props.lang}/order/${order.id}${who}`;
      if (online) {
        const s = await startPayment(order.id, back, sessionRef.current);
        location.assign(s.redirectUrl ?? back);
      } else {
        location.assign(back);
      }
    } catch (e) {
      setError(props.type === 'delivery' ? [deliveryProblem(props.lang, e, currency, quote?.minimumOrder)] : e instanceof ApiError ? e.messages() : [String(e)]);
      setBusy(false);
    }
  }

  const chosen = chosenId ? findItem(props.menu, chosenId) : undefined;
  const canOrder = !!current && open.length > 0 && !busy && (props.type !== 'delivery' || !!quote?.ok);

  return (
    <aside aria-labelledby="cart-title" className="card" data-cart={current?.id ?? ''}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: '.5rem' }}>
        <h2 id="cart-title" style={{ margin: 0 }}>{props.tableToken ? tr.cart : tr.webCart}</h2>
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
            const opts = ((l.selection as any)?.options ?? []) as { name: string; nameAr?: string }[];
            const mine = l.addedBy.id === me;
            return (
              <li key={l.id} data-line={l.id} data-product={l.productId} style={{ borderBlockEnd: '1px solid var(--line)', paddingBlock: '.5rem' }}>
                <div style={{ display: 'flex', justifyContent: 'space-between', gap: '.5rem' }}>
                  <span>{formatNumber(props.lang, l.quantity)} × {pick(props.lang, l.name, l.nameAr)}</span>
                  <span>{money(l.unitPrice * l.quantity)}</span>
                </div>
                {opts.length > 0 && <div className="muted">{opts.map((o) => pick(props.lang, o.name, o.nameAr)).join('، ')}</div>}
                {l.notes && <div className="muted">“{l.notes}”</div>}
                {l.problem && <div className="error">{l.problem}</div>}
                <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
                  <small className="muted">{tr.addedBy(mine ? tr.you : l.addedBy.name)}</small>
                  {mine && (
                    <button type="button" className="btn secondary" style={{ minBlockSize: '2.25rem' }}
                      onClick={() => removeLine(sessionRef.current, l.id).catch((e) => setError(e instanceof ApiError ? e.messages() : [String(e)]))}
                      aria-label={`${tr.remove}: ${pick(props.lang, l.name, l.nameAr)}`}>
                      {tr.remove}
                    </button>
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
          <div style={{ display: 'grid', gap: '.5rem' }}>
            <button type="button" className="btn" disabled={!canOrder} onClick={() => place(false)}>{busy ? tr.placing : tr.payAtCounter}</button>
            <button type="button" className="btn secondary" disabled={!canOrder} onClick={() => place(true)}>{tr.payOnline}</button>
          </div>
        </>
      )}
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

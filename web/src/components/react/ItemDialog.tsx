// An item's options before it goes on an order: each modifier group with its rule (required or
// optional, how many), sold-out options disabled, quantity and a note, and the price as chosen.
// The website's cart and the till both use it; the problems of a choice show next to it.
import { useEffect, useMemo, useRef, useState } from 'react';
import { selectionProblems, unitPrice } from '../../stores/cart';
import { ApiError, type Menu, type MenuItem } from '../../lib/api';
import { t, pick, formatPrice, sep, type Lang } from '../../i18n';

export default function ItemDialog(props: {
  lang: Lang;
  menu: Menu;
  item: MenuItem;
  onClose: () => void;
  onAdd: (options: string[], quantity: number, notes: string) => Promise<void>;
  /** The add button's words (the website's "Add to cart" by default). */
  addLabel?: string;
  /** Start with each group's default options chosen (the till: one tap for the usual). */
  preselect?: boolean;
}) {
  const tr = t(props.lang);
  const ref = useRef<HTMLDialogElement>(null);
  const groups = useMemo(
    () => (props.item.modifierGroupIds ?? []).map((id) => props.menu.modifierGroups.find((g) => g.id === id)).filter((g): g is NonNullable<typeof g> => !!g),
    [props.item, props.menu],
  );
  const [chosen, setChosen] = useState<string[]>(() =>
    props.preselect ? groups.flatMap((g) => g.options.filter((o) => o.default && !o.soldOut).map((o) => o.id)) : [],
  );
  const [quantity, setQuantity] = useState(1);
  const [notes, setNotes] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    ref.current?.showModal();
  }, []);

  function toggle(groupId: string, optionId: string) {
    const g = groups.find((x) => x.id === groupId)!;
    setChosen((prev) => {
      if (prev.includes(optionId)) return prev.filter((o) => o !== optionId);
      if (g.maxSelect === 1) return [...prev.filter((o) => !g.options.some((x) => x.id === o)), optionId];
      return [...prev, optionId];
    });
    setProblems([]);
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const p = selectionProblems(props.lang, props.item, props.menu.modifierGroups, chosen);
    if (p.length) {
      setProblems(p);
      return;
    }
    setBusy(true);
    try {
      await props.onAdd(chosen, quantity, notes.trim());
    } catch (err) {
      setProblems(err instanceof ApiError ? err.messages() : [String(err)]);
      setBusy(false);
    }
  }

  const money = (n: number) => formatPrice(props.lang, props.menu.currency, n);
  const name = pick(props.lang, props.item.name, props.item.nameAr);
  return (
    <dialog ref={ref} aria-labelledby="item-title" onClose={props.onClose} onCancel={props.onClose}
      style={{ maxInlineSize: '32rem', inlineSize: '100%', border: 0, borderRadius: 'var(--radius)', padding: '1rem' }}>
      <form onSubmit={submit} noValidate>
        <h2 id="item-title" style={{ marginBlockStart: 0 }}>{name}</h2>
        {groups.map((g) => (
          <fieldset key={g.id} style={{ border: '1px solid var(--line)', borderRadius: '.5rem', marginBlock: '.5rem' }} data-group={g.id}>
            <legend style={{ fontWeight: 600 }}>
              {pick(props.lang, g.name, g.nameAr)}{sep(props.lang)}<span className={g.required ? 'error' : 'muted'}>{g.required ? tr.required : tr.optional}</span>
              {g.maxSelect > 1 && <span className="muted"> ({tr.upTo(g.maxSelect)})</span>}
            </legend>
            {g.options.map((o) => (
              <label key={o.id} style={{ display: 'flex', alignItems: 'center', gap: '.5rem', fontWeight: 400, minBlockSize: '2.5rem' }}>
                <input type={g.maxSelect === 1 ? 'radio' : 'checkbox'} name={g.id} style={{ inlineSize: 'auto', minBlockSize: 'auto' }}
                  checked={chosen.includes(o.id)} disabled={o.soldOut} onChange={() => toggle(g.id, o.id)}
                  onClick={() => { if (g.maxSelect === 1 && chosen.includes(o.id) && !g.required) toggle(g.id, o.id); }} />
                <span style={{ flex: 1 }}>{pick(props.lang, o.name, o.nameAr)}{o.soldOut ? `${sep(props.lang)}${tr.soldOut}` : ''}</span>
                {o.priceDelta !== 0 && <span className="muted">+{money(o.priceDelta)}</span>}
              </label>
            ))}
          </fieldset>
        ))}
        <label htmlFor="line-qty">{tr.quantity}</label>
        <input id="line-qty" type="number" min={1} max={99} inputMode="numeric" value={quantity}
          onChange={(e) => setQuantity(Math.max(1, Math.min(99, Number(e.target.value) || 1)))} />
        <label htmlFor="line-notes">{tr.notes}</label>
        <input id="line-notes" maxLength={200} value={notes} onChange={(e) => setNotes(e.target.value)} />
        {problems.length > 0 && (
          <div role="alert" className="error" data-testid="item-problems">{problems.map((m) => <p key={m} style={{ margin: '.25rem 0' }}>{m}</p>)}</div>
        )}
        <div style={{ display: 'flex', gap: '.5rem', marginBlockStart: '1rem' }}>
          <button type="submit" className="btn" disabled={busy} style={{ flex: 1 }}>
            {props.addLabel ?? tr.addToCart}{sep(props.lang)}{money(unitPrice(props.item, props.menu.modifierGroups, chosen) * quantity)}
          </button>
          <button type="button" className="btn secondary" onClick={() => ref.current?.close()}>{tr.cancel}</button>
        </div>
      </form>
    </dialog>
  );
}

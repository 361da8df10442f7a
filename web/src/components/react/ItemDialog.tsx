// An item's options before it goes on an order: each modifier group with its rule (required or
// optional, how many), sold-out options disabled, quantity and a note, and the price as chosen.
// The website's cart and the till both use it; the problems of a choice show next to its group.
// On a phone it is a sheet from the bottom of the screen whose Add button (with the price) stays
// in reach while the options scroll.
import { useEffect, useMemo, useRef, useState } from 'react';
import { groupProblems, unitPrice } from '../../stores/cart';
import { problemMessage } from '../../lib/problems';
import ItemPhoto from './ItemPhoto';
import type { Menu, MenuItem } from '../../lib/api';
import { t, pick, formatPrice, formatNumber, sep, type Lang } from '../../i18n';

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
  const [problems, setProblems] = useState<Map<string, string>>(new Map());
  const [failure, setFailure] = useState<string | null>(null);
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
    setProblems(new Map());
    setFailure(null);
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const p = groupProblems(props.lang, props.item, props.menu.modifierGroups, chosen);
    setProblems(p);
    if (p.size) {
      // The first group with a problem scrolls into view, its message beside it.
      ref.current?.querySelector(`[data-group="${[...p.keys()][0]}"]`)?.scrollIntoView({ block: 'nearest' });
      return;
    }
    setBusy(true);
    try {
      await props.onAdd(chosen, quantity, notes.trim());
    } catch (err) {
      setFailure(problemMessage(props.lang, err));
      setBusy(false);
    }
  }

  const money = (n: number) => formatPrice(props.lang, props.menu.currency, n);
  const name = pick(props.lang, props.item.name, props.item.nameAr);
  return (
    <dialog ref={ref} aria-labelledby="item-title" className="sheet" onClose={props.onClose} onCancel={props.onClose}>
      <form onSubmit={submit} noValidate>
        <div className="sheet-head">
          <h2 id="item-title">{name}</h2>
          <button type="button" className="btn secondary close" aria-label={tr.close} onClick={() => ref.current?.close()}>×</button>
        </div>
        <div className="sheet-body">
          {props.item.imageUrl && <ItemPhoto src={props.item.imageUrl} srcset={props.item.imageSrcset} alt="" />}
          {(props.lang === 'ar' ? props.item.descriptionAr ?? props.item.description : props.item.description) && (
            <p className="muted" style={{ marginBlock: '.25rem .5rem' }}>{props.lang === 'ar' ? props.item.descriptionAr ?? props.item.description : props.item.description}</p>
          )}
          {groups.map((g) => {
            const problem = problems.get(g.id);
            return (
              <fieldset key={g.id} className="group" data-group={g.id} aria-invalid={problem ? true : undefined}
                aria-describedby={problem ? `problem-${g.id}` : undefined}>
                <legend style={{ fontWeight: 600 }}>
                  {pick(props.lang, g.name, g.nameAr)}{sep(props.lang)}<span className={g.required ? 'error' : 'muted'}>{g.required ? tr.required : tr.optional}</span>
                  {g.maxSelect > 1 && <span className="muted"> ({tr.upTo(g.maxSelect)})</span>}
                </legend>
                {problem && <p id={`problem-${g.id}`} role="alert" className="error" data-testid="item-problems" style={{ margin: '0 0 .25rem' }}>{problem}</p>}
                {g.options.map((o) => (
                  <label key={o.id} style={{ display: 'flex', alignItems: 'center', gap: '.5rem', fontWeight: 400, minBlockSize: '2.75rem', margin: 0 }}>
                    <input type={g.maxSelect === 1 ? 'radio' : 'checkbox'} name={g.id} style={{ inlineSize: '1.25rem', blockSize: '1.25rem', minBlockSize: 'auto' }}
                      checked={chosen.includes(o.id)} disabled={o.soldOut} onChange={() => toggle(g.id, o.id)}
                      onClick={() => { if (g.maxSelect === 1 && chosen.includes(o.id) && !g.required) toggle(g.id, o.id); }} />
                    <span style={{ flex: 1 }}>{pick(props.lang, o.name, o.nameAr)}{o.soldOut ? `${sep(props.lang)}${tr.soldOut}` : ''}</span>
                    {o.priceDelta !== 0 && <span className="muted">+{money(o.priceDelta)}</span>}
                  </label>
                ))}
              </fieldset>
            );
          })}
          <label htmlFor="line-notes">{tr.notes}</label>
          <input id="line-notes" maxLength={200} value={notes} onChange={(e) => setNotes(e.target.value)} />
          {failure && <p role="alert" className="error" data-testid="item-failure">{failure}</p>}
        </div>
        <div className="sheet-foot">
          {/* The quantity in the page's digits (a number input would show Latin digits). */}
          <div className="stepper" role="group" aria-label={tr.quantity}>
            <button type="button" className="btn secondary" disabled={quantity <= 1} onClick={() => setQuantity(quantity - 1)} aria-label={tr.less(name)}>−</button>
            <output id="line-qty" aria-live="polite" data-value={quantity}>{formatNumber(props.lang, quantity)}</output>
            <button type="button" className="btn secondary" disabled={quantity >= 99} onClick={() => setQuantity(quantity + 1)} aria-label={tr.more(name)}>+</button>
          </div>
          <button type="submit" className="btn" disabled={busy} style={{ flex: 1 }}>
            {props.addLabel ?? tr.addToCart}{sep(props.lang)}{money(unitPrice(props.item, props.menu.modifierGroups, chosen) * quantity)}
          </button>
        </div>
      </form>
    </dialog>
  );
}

// A combo at the till: one choice for each of its slots (the defaults chosen, sold-out choices
// disabled, each upcharge shown), then it goes on the check as one line.
import { useEffect, useRef, useState } from 'react';
import type { Menu } from '../../../lib/api';
import { pick, sep, type Lang } from '../../../i18n';
import { pos } from './strings';
import { money } from './shell';

type Combo = Menu['menus'][number]['categories'][number]['combos'][number];

export default function ComboDialog({ lang, menu, combo, onAdd, onClose }: {
  lang: Lang;
  menu: Menu;
  combo: Combo;
  onAdd: (choices: Record<string, string>) => void;
  onClose: () => void;
}) {
  const tr = pos(lang);
  const fmt = money(lang, menu.currency);
  const ref = useRef<HTMLDialogElement>(null);
  const [choices, setChoices] = useState<Record<string, string>>(() =>
    Object.fromEntries(combo.slots.map((s) => [s.id, (s.choices.find((c) => c.default && !c.soldOut) ?? s.choices.find((c) => !c.soldOut))?.itemId ?? ''])),
  );
  useEffect(() => ref.current?.showModal(), []);

  const price = combo.price + combo.slots.reduce((sum, s) => sum + (s.choices.find((c) => c.itemId === choices[s.id])?.priceDelta ?? 0), 0);
  const complete = combo.slots.every((s) => choices[s.id]);
  return (
    <dialog ref={ref} className="till-dialog" aria-labelledby="combo-title" onClose={onClose} onCancel={onClose}>
      <form onSubmit={(e) => { e.preventDefault(); if (complete) onAdd(choices); }}>
        <h2 id="combo-title">{pick(lang, combo.name, combo.nameAr)}</h2>
        {combo.slots.map((s) => (
          <fieldset key={s.id} className="till-count">
            <legend>{pick(lang, s.name, s.nameAr)}</legend>
            {s.choices.map((c) => (
              <label key={c.itemId} className="till-choice">
                <input type="radio" name={s.id} checked={choices[s.id] === c.itemId} disabled={c.soldOut} style={{ inlineSize: 'auto', minBlockSize: 'auto' }}
                  onChange={() => setChoices({ ...choices, [s.id]: c.itemId })} />
                <span>{pick(lang, c.name, c.nameAr)}{c.soldOut ? `${sep(lang)}${tr.soldOut}` : ''}</span>
                {c.priceDelta !== 0 && <span className="muted">+{fmt(c.priceDelta)}</span>}
              </label>
            ))}
          </fieldset>
        ))}
        <p className="till-actions">
          <button type="submit" className="btn" disabled={!complete}>{tr.addLine}{sep(lang)}{fmt(price)}</button>
          <button type="button" className="btn secondary" onClick={() => ref.current?.close()}>{tr.tender.close}</button>
        </p>
      </form>
    </dialog>
  );
}

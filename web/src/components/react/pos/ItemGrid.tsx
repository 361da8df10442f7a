// The menu at the till: categories along the top, a search, and every item as a large tile
// with its price. Sold-out items stay in place, greyed and not tappable, so the grid does not
// move under the cashier's finger.
import { useMemo, useState } from 'react';
import type { Menu, MenuItem } from '../../../lib/api';
import { matches } from '../../../lib/till';
import { pick, type Lang } from '../../../i18n';
import { pos } from './strings';
import { money } from './shell';

type Combo = Menu['menus'][number]['categories'][number]['combos'][number];

export default function ItemGrid({ lang, menu, onTap, onCombo }: { lang: Lang; menu: Menu; onTap: (item: MenuItem) => void; onCombo: (combo: Combo) => void }) {
  const tr = pos(lang);
  const fmt = money(lang, menu.currency);
  const categories = useMemo(() => menu.menus.flatMap((m) => m.categories), [menu]);
  const [category, setCategory] = useState<string>('');
  const [query, setQuery] = useState('');

  const items = useMemo(() => {
    const inCategory = category ? categories.filter((c) => c.id === category) : categories;
    const seen = new Set<string>();
    return inCategory
      .flatMap((c) => c.items)
      .filter((i) => matches(i, query) && !seen.has(i.id) && (seen.add(i.id), true));
  }, [categories, category, query]);
  const combos = useMemo(() => {
    const inCategory = category ? categories.filter((c) => c.id === category) : categories;
    return inCategory.flatMap((c) => c.combos ?? []).filter((k) => matches(k, query));
  }, [categories, category, query]);

  return (
    <section className="till-menu" aria-label={tr.categories}>
      <div className="till-menu-top">
        <label htmlFor="till-search" className="skip">{tr.search}</label>
        <input id="till-search" type="search" aria-keyshortcuts="/" placeholder={tr.search} value={query} onChange={(e) => setQuery(e.target.value)} />
        <div role="tablist" aria-label={tr.categories} className="till-cats">
        <button type="button" role="tab" aria-selected={category === ''} className="btn secondary" onClick={() => setCategory('')}>{tr.all}</button>
        {categories.map((c) => (
          <button key={c.id} type="button" role="tab" aria-selected={category === c.id} className="btn secondary" onClick={() => setCategory(c.id)}>
            {pick(lang, c.name, c.nameAr)}
          </button>
        ))}
        </div>
      </div>
      <ul className="till-items" data-testid="till-items">
        {combos.map((k) => {
          const name = pick(lang, k.name, k.nameAr);
          return (
            <li key={k.id}>
              <button type="button" className="till-item till-combo" disabled={k.soldOut} aria-label={k.soldOut ? `${name} · ${tr.soldOut}` : name} onClick={() => onCombo(k)}>
                <span className="till-item-name">{name}</span>
                <span className="till-item-price">{k.soldOut ? tr.soldOut : `${tr.combo} – ${fmt(k.price)}`}</span>
              </button>
            </li>
          );
        })}
        {items.map((i) => {
          const name = pick(lang, i.name, i.nameAr);
          return (
            <li key={i.id}>
              <button type="button" className="till-item" disabled={i.soldOut} aria-label={i.soldOut ? `${name} · ${tr.soldOut}` : name} onClick={() => onTap(i)}>
                <span className="till-item-name">{name}</span>
                <span className="till-item-price">{i.soldOut ? tr.soldOut : fmt(i.price)}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

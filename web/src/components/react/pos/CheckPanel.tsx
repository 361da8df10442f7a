// The lines being rung up: each with its choices, seat and course, a quantity stepper, repeat
// (the same dish for the next seat), a note and remove; the total as the till prices it.
import type { Adjustments, CheckLine } from '../../../lib/till';
import { changeQuantity, checkTotal, discountTotal, editLine, repeatLine } from '../../../lib/till';
import { formatNumber, pick, sep, type Lang } from '../../../i18n';
import { pos } from './strings';
import { money } from './shell';

const LINE_DISCOUNTS = [0, 1000, 2500, 5000, 10_000];

export default function CheckPanel({ lang, currency, lines, adjustments, fee = 0, seats, courses, onChange }: {
  lang: Lang;
  currency: string;
  lines: CheckLine[];
  adjustments: Adjustments;
  /** A delivery fee the server adds. */
  fee?: number;
  /** How many seats to offer (the table's guests); 0 for a counter order. */
  seats: number;
  courses: number;
  onChange: (lines: CheckLine[]) => void;
}) {
  const tr = pos(lang);
  const fmt = money(lang, currency);
  const n = (x: number) => formatNumber(lang, x);
  if (lines.length === 0) return <p className="muted" data-testid="check-empty">{tr.emptyCheck}</p>;
  return (
    <>
      <ul className="till-lines" data-testid="check-lines">
        {lines.map((l) => {
          const name = pick(lang, l.name, l.nameAr);
          return (
            <li key={l.key} className="till-line" data-testid="check-line">
              <div className="till-line-head">
                <span className="till-line-name">{name}</span>
                <span className="num">{fmt(l.unitPrice * l.quantity)}</span>
              </div>
              {l.optionNames.length > 0 && <p className="muted till-line-opts">{l.optionNames.map((o) => pick(lang, o.name, o.nameAr)).join(sep(lang))}</p>}
              <div className="till-line-tools">
                <button type="button" className="btn secondary" aria-label={tr.less(name)} onClick={() => onChange(changeQuantity(lines, l.key, -1))}>−</button>
                <output aria-label={tr.quantity(name)} className="till-qty">{n(l.quantity)}</output>
                <button type="button" className="btn secondary" aria-label={tr.more(name)} onClick={() => onChange(changeQuantity(lines, l.key, 1))}>+</button>
                {seats > 0 && (
                  <select aria-label={`${tr.seat} · ${name}`} value={l.seat ?? 0} onChange={(e) => onChange(editLine(lines, l.key, { seat: Number(e.target.value) || null }))}>
                    <option value={0}>{tr.noSeat}</option>
                    {Array.from({ length: seats }, (_, i) => i + 1).map((s) => <option key={s} value={s}>{tr.seatN(n(s))}</option>)}
                  </select>
                )}
                {courses > 0 && (
                  <select aria-label={`${tr.course} · ${name}`} value={l.course ?? 0} onChange={(e) => onChange(editLine(lines, l.key, { course: Number(e.target.value) || null }))}>
                    {Array.from({ length: courses }, (_, i) => i + 1).map((c) => <option key={c} value={c}>{tr.courseN(n(c))}</option>)}
                  </select>
                )}
                <select aria-label={`${tr.adjust.lineDiscount} · ${name}`} value={l.discountBp ?? 0} onChange={(e) => onChange(editLine(lines, l.key, { discountBp: Number(e.target.value) || undefined }))}>
                  {LINE_DISCOUNTS.map((bp) => <option key={bp} value={bp}>{bp ? `−${n(bp / 100)}%` : tr.adjust.lineDiscount}</option>)}
                </select>
                <button type="button" className="btn secondary" onClick={() => onChange(repeatLine(lines, l.key, Math.max(1, seats)))}>{tr.repeat}</button>
                <button type="button" className="btn secondary" aria-label={`${tr.remove} · ${name}`} onClick={() => onChange(changeQuantity(lines, l.key, -l.quantity))}>✕</button>
              </div>
              <label className="skip" htmlFor={`note-${l.key}`}>{`${tr.lineNotes} · ${name}`}</label>
              <input id={`note-${l.key}`} className="till-line-note" placeholder={tr.lineNotes} maxLength={200} value={l.notes}
                onChange={(e) => onChange(editLine(lines, l.key, { notes: e.target.value }))} />
            </li>
          );
        })}
      </ul>
      {discountTotal(lines, adjustments) > 0 && (
        <p className="till-line-head"><span>{tr.adjust.discounts}</span> <span className="num" data-testid="check-discounts">−{fmt(discountTotal(lines, adjustments))}</span></p>
      )}
      {(adjustments.tip ?? 0) > 0 && <p className="till-line-head"><span>{tr.adjust.tip}</span> <span className="num">{fmt(adjustments.tip!)}</span></p>}
      {fee > 0 && <p className="till-line-head"><span>{tr.deliveryFee}</span> <span className="num">{fmt(fee)}</span></p>}
      <p className="till-total"><span>{tr.total}</span> <strong data-testid="check-total">{fmt(checkTotal(lines, adjustments) + fee)}</strong></p>
    </>
  );
}

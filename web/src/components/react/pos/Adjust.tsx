// What the till takes off or adds to the whole order: a discount by percent or amount with its
// reason, a promo code and a tip — and, when the discounts come to more than the approval
// threshold and a cashier is signed in, the manager's PIN that approves them.
import type { Adjustments } from '../../../lib/till';
import type { Lang } from '../../../i18n';
import { pos } from './strings';

const minor = (s: string) => Math.round(Number(s.replace(',', '.')) * 100) || 0;
const major = (n?: number) => (n ? (n / 100).toFixed(2) : '');

export default function Adjust({ lang, value, onChange, approval, pin, onPin }: {
  lang: Lang;
  value: Adjustments;
  onChange: (a: Adjustments) => void;
  /** Whether a manager must approve the discounts. */
  approval: boolean;
  pin: string;
  onPin: (pin: string) => void;
}) {
  const tr = pos(lang).adjust;
  const kind = value.percentBp ? 'percent' : value.amount ? 'amount' : 'none';
  return (
    <details className="till-adjust" open={kind !== 'none' || !!value.promoCode || !!value.tip}>
      <summary>{tr.title}</summary>
      <div role="radiogroup" aria-label={tr.discount} className="till-segment">
        {(['none', 'percent', 'amount'] as const).map((k) => (
          <button key={k} type="button" role="radio" aria-checked={kind === k} className="btn secondary"
            onClick={() => onChange({ ...value, percentBp: k === 'percent' ? 1000 : undefined, amount: k === 'amount' ? 500 : undefined })}>
            {tr[k]}
          </button>
        ))}
      </div>
      {kind !== 'none' && (
        <div className="till-row">
          <span>
            <label htmlFor="adj-value">{kind === 'percent' ? `${tr.value} (%)` : tr.value}</label>
            <input id="adj-value" inputMode="decimal" dir="ltr"
              value={kind === 'percent' ? String((value.percentBp ?? 0) / 100) : major(value.amount)}
              onChange={(e) => onChange(kind === 'percent'
                ? { ...value, percentBp: Math.max(1, Math.min(10_000, Math.round(Number(e.target.value) * 100) || 1)) }
                : { ...value, amount: Math.max(1, minor(e.target.value)) })} />
          </span>
          <span>
            <label htmlFor="adj-reason">{tr.reason}</label>
            <select id="adj-reason" value={value.reason} onChange={(e) => onChange({ ...value, reason: e.target.value })}>
              {tr.reasons.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </span>
        </div>
      )}
      <div className="till-row">
        <span>
          <label htmlFor="adj-promo">{tr.promo}</label>
          <input id="adj-promo" maxLength={40} dir="ltr" value={value.promoCode ?? ''} onChange={(e) => onChange({ ...value, promoCode: e.target.value.toUpperCase() })} />
        </span>
        <span>
          <label htmlFor="adj-tip">{tr.tip}</label>
          <input id="adj-tip" inputMode="decimal" dir="ltr" value={major(value.tip)} onChange={(e) => onChange({ ...value, tip: minor(e.target.value) || undefined })} />
        </span>
      </div>
      {approval && (
        <>
          <p className="error" role="status">{tr.approval}</p>
          <label htmlFor="adj-pin">{tr.managerPin}</label>
          <input id="adj-pin" type="password" inputMode="numeric" autoComplete="off" dir="ltr" maxLength={12} value={pin} onChange={(e) => onPin(e.target.value.replace(/\D/g, ''))} />
        </>
      )}
    </details>
  );
}

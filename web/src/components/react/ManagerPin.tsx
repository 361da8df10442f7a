// A manager's approval on the kitchen screen. The screen's session carries kitchen rights
// whoever signed in, so an action beyond them (a recall after the recall window) asks for a
// manager's PIN in a modal dialog and sends it with that one request; the dialog closes once
// the action is done, and the next action is the kitchen's alone again. The keypad is shared
// with the cook's own PIN sign-in.
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../../lib/api';
import { t, formatNumber, type Lang } from '../../i18n';

export const PIN_MAX = 8;
export const PIN_MIN = 4;

/** Large digit keys, Clear and the submit key. Digits stay left-to-right in Arabic too, as on a
 *  phone's keypad, and are labelled in the page's numerals. */
export function Keypad({ lang, onDigit, onClear, submitLabel, disabled }: {
  lang: Lang;
  onDigit: (d: string) => void;
  onClear: () => void;
  submitLabel: string;
  disabled: boolean;
}) {
  const tr = t(lang);
  const key = { minBlockSize: '4rem', fontSize: '1.5rem' };
  return (
    <div style={{ display: 'grid', gridTemplateColumns: 'repeat(3, 1fr)', gap: '.5rem', marginBlock: '1rem' }} dir="ltr">
      {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => (
        <button key={d} type="button" className="btn secondary" style={key} onClick={() => onDigit(d)}>{formatNumber(lang, Number(d))}</button>
      ))}
      <button type="button" className="btn secondary" style={{ minBlockSize: '4rem' }} onClick={onClear}>{tr.kds.clear}</button>
      <button type="button" className="btn secondary" style={key} onClick={() => onDigit('0')}>{formatNumber(lang, 0)}</button>
      <button type="submit" className="btn" style={{ minBlockSize: '4rem' }} disabled={disabled}>{submitLabel}</button>
    </div>
  );
}

/** What a refused approval means to the person at the screen. */
function refusal(lang: Lang, err: unknown): string[] {
  const tr = t(lang).kds.approval;
  if (err instanceof ApiError) {
    if (err.status === 403) return [tr.wrongPin];
    if (err.status === 429) return [tr.locked(formatNumber(lang, Number(/\d+/.exec(err.detail ?? '')?.[0] ?? 30)))];
    return err.messages();
  }
  return [String(err)];
}

export function ManagerPinDialog({ lang, action, onApprove, onClose }: {
  lang: Lang;
  /** What the manager approves, e.g. "Recall ticket #12 …". */
  action: string;
  /** Does the action with the manager's PIN; throws the API's refusal. */
  onApprove: (pin: string) => Promise<void>;
  onClose: () => void;
}) {
  const tr = t(lang);
  const ref = useRef<HTMLDialogElement>(null);
  const [pin, setPin] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    ref.current?.showModal();
  }, []);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors([]);
    try {
      await onApprove(pin);
      onClose();
    } catch (err) {
      setErrors(refusal(lang, err));
      setPin('');
      setBusy(false);
    }
  }

  return (
    <dialog ref={ref} aria-labelledby="approval-title" aria-describedby="approval-action" onClose={onClose} onCancel={onClose}
      data-testid="manager-pin" dir={lang === 'ar' ? 'rtl' : 'ltr'}
      style={{ maxInlineSize: '24rem', inlineSize: '100%', border: 0, borderRadius: 'var(--radius)', padding: '1rem', textAlign: 'center' }}>
      <form onSubmit={submit}>
        <h2 id="approval-title" style={{ marginBlockStart: 0 }}>{tr.kds.approval.title}</h2>
        <p id="approval-action"><strong>{action}</strong></p>
        <p className="muted">{tr.kds.approval.help}</p>
        <label htmlFor="manager-pin">{tr.kds.approval.pinLabel}</label>
        <input id="manager-pin" type="password" inputMode="numeric" autoComplete="off" pattern="[0-9]*" maxLength={PIN_MAX} value={pin} autoFocus
          aria-invalid={errors.length > 0} aria-errormessage={errors.length > 0 ? 'approval-error' : undefined}
          onChange={(e) => setPin(e.target.value.replace(/\D/g, '').slice(0, PIN_MAX))} style={{ fontSize: '2rem', textAlign: 'center', letterSpacing: '.5rem' }} dir="ltr" />
        <Keypad lang={lang} onDigit={(d) => setPin((p) => (p.length < PIN_MAX ? p + d : p))} onClear={() => setPin('')}
          submitLabel={tr.kds.approval.approve} disabled={busy || pin.length < PIN_MIN} />
        {errors.length > 0 && <div role="alert" id="approval-error" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
        <button type="button" className="btn secondary" style={{ inlineSize: '100%', minBlockSize: '3rem' }} onClick={onClose}>{tr.kds.approval.cancel}</button>
      </form>
    </dialog>
  );
}

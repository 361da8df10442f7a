// A money action that needs a reason and may need a manager: a refund, a void of an order or
// of one line sent to the kitchen. The reason is typed or picked from the usual ones; the
// manager's PIN is typed on this till when the amount is above the approval threshold (the
// server decides, and says so if it is missing).
import { useEffect, useRef, useState } from 'react';
import { formatNumber, sep, type Lang } from '../../../i18n';
import { pos } from './strings';
import { money } from './shell';
import { messages as msgs } from '../DeviceGate';

export default function Approve({ lang, title, number, amount, currency, reasons, askPin = true, run, onClose, onDone }: {
  lang: Lang;
  /** What is done: "Refund", "Void"… */
  title: string;
  number: number;
  amount: number;
  currency: string;
  /** The usual reasons, one tap each. */
  reasons?: string[];
  /** Whether to show the manager's PIN field. */
  askPin?: boolean;
  /** Does it; throws the API's refusal. Answers the notice to show. */
  run: (reason: string, managerPin?: string) => Promise<string>;
  onClose: () => void;
  onDone: (notice: string) => void;
}) {
  const tr = pos(lang).orders;
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [pin, setPin] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => ref.current?.showModal(), []);

  async function confirm(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors([]);
    try {
      onDone(await run(reason.trim(), pin || undefined));
    } catch (err) {
      setErrors(msgs(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={ref} className="till-dialog" aria-labelledby="approve-title" onClose={onClose} onCancel={onClose}>
      <form onSubmit={confirm}>
        <h2 id="approve-title">{title}{sep(lang)}#{formatNumber(lang, number)}{sep(lang)}{money(lang, currency)(amount)}</h2>
        {reasons && (
          <div className="till-segment" role="group" aria-label={tr.usualReasons}>
            {reasons.map((r) => (
              <button key={r} type="button" className="btn secondary" aria-pressed={reason === r} onClick={() => setReason(r)}>{r}</button>
            ))}
          </div>
        )}
        <label htmlFor="approve-reason">{tr.reason}</label>
        <input id="approve-reason" required maxLength={200} value={reason} onChange={(e) => setReason(e.target.value)} />
        {askPin && (
          <>
            <label htmlFor="approve-pin">{tr.managerPin}</label>
            <input id="approve-pin" type="password" inputMode="numeric" autoComplete="off" dir="ltr" maxLength={12} value={pin} onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))} />
          </>
        )}
        {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
        <p className="till-actions">
          <button type="submit" className="btn" disabled={busy || !reason.trim()}>{tr.confirm}</button>
          <button type="button" className="btn secondary" onClick={() => ref.current?.close()}>{pos(lang).tender.close}</button>
        </p>
      </form>
    </dialog>
  );
}

// Taking payment at the till: cash with quick amounts and the change due shown large, or a card
// on the counter terminal (waiting → approved or declined; a lost answer is being resolved and
// must not be charged again). A part of the amount may be paid, and the rest with another
// tender: the dialog stays open until nothing is due or it is closed.
import { useEffect, useRef, useState } from 'react';
import { quickAmounts } from '../../../lib/till';
import { sep, toMajor, toMinor, type Lang } from '../../../i18n';
import { pos } from './strings';
import { money } from './shell';
import { messages } from '../DeviceGate';

export type CardOutcome = 'approved' | 'declined' | 'unknown';

export default function Tender({ lang, currency, title, due, online, onCash, onCard, onClose }: {
  lang: Lang;
  currency: string;
  title: string;
  /** What is still to pay. */
  due: number;
  /** Cards need the server; offline only cash is offered. */
  online: boolean;
  /** Takes cash; answers the amount still due afterwards. */
  onCash: (tendered: number, amount: number) => Promise<number>;
  /** Charges a card; answers the outcome and the amount still due. */
  onCard: (amount: number) => Promise<{ outcome: CardOutcome; due: number; detail?: string }>;
  onClose: () => void;
}) {
  const tr = pos(lang).tender;
  const fmt = money(lang, currency);
  const ref = useRef<HTMLDialogElement>(null);
  const [method, setMethod] = useState<'cash' | 'card'>('cash');
  const [left, setLeft] = useState(due);
  const [amount, setAmount] = useState(due);
  const [tendered, setTendered] = useState(due);
  const [change, setChange] = useState<number | null>(null);
  const [status, setStatus] = useState<'idle' | 'waiting' | CardOutcome>('idle');
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    ref.current?.showModal();
  }, []);

  const major = (n: number) => toMajor(currency, n);
  const minor = (s: string) => toMinor(currency, s);

  async function takeCash(given: number) {
    setErrors([]);
    if (given < amount) {
      setErrors([tr.tooLittle]);
      return;
    }
    setBusy(true);
    try {
      const rest = await onCash(given, amount);
      setChange(given - amount);
      setLeft(rest);
      setAmount(rest);
      setTendered(rest);
    } catch (e) {
      setErrors(messages(e));
    } finally {
      setBusy(false);
    }
  }

  async function chargeCard() {
    setErrors([]);
    setChange(null);
    setBusy(true);
    setStatus('waiting');
    try {
      const r = await onCard(amount);
      setStatus(r.outcome);
      if (r.detail) setErrors([r.detail]);
      setLeft(r.due);
      setAmount(r.due);
      setTendered(r.due);
    } catch (e) {
      setStatus('idle');
      setErrors(messages(e));
    } finally {
      setBusy(false);
    }
  }

  const paidUp = left <= 0;
  return (
    <dialog ref={ref} className="till-dialog" aria-labelledby="tender-title" onClose={onClose} onCancel={onClose} data-testid="tender">
      <h2 id="tender-title">{title}</h2>
      <p className="till-due">
        <span>{tr.amountDue}</span> <strong data-testid="tender-due">{fmt(left)}</strong>
      </p>
      {change !== null && (
        <p className="till-change" role="status" data-testid="change-due">
          {tr.change}: <strong>{fmt(change)}</strong>
        </p>
      )}
      {status === 'waiting' && <p role="status" aria-busy="true">{tr.waiting}</p>}
      {status === 'approved' && <p role="status" className="ok">{tr.approved}</p>}
      {status === 'declined' && <p role="alert" className="error" data-testid="card-declined">{tr.declined}</p>}
      {status === 'unknown' && <p role="alert" className="error">{tr.unknown}</p>}
      {paidUp ? (
        <p role="status" className="ok" data-testid="paid-in-full">{tr.done}</p>
      ) : (
        <>
          <div role="radiogroup" aria-label={tr.method} className="till-segment">
            {(['cash', 'card'] as const).map((m) => (
              <button key={m} type="button" role="radio" aria-checked={method === m} className="btn secondary" onClick={() => setMethod(m)}>
                {tr[m]}
              </button>
            ))}
          </div>
          <label htmlFor="tender-amount">{tr.amount}</label>
          <input id="tender-amount" inputMode="decimal" dir="ltr" value={major(amount)}
            onChange={(e) => setAmount(Math.min(left, minor(e.target.value)))} />
          {method === 'cash' ? (
            <>
              <div className="till-quick" role="group" aria-label={tr.quick}>
                {quickAmounts(amount).map((q) => (
                  <button key={q} type="button" className="btn secondary" disabled={busy} onClick={() => takeCash(q)}>
                    {q === amount ? `${tr.exact}${sep(lang)}${fmt(q)}` : fmt(q)}
                  </button>
                ))}
              </div>
              <label htmlFor="tender-given">{tr.tendered}</label>
              <input id="tender-given" inputMode="decimal" dir="ltr" value={major(tendered)} onChange={(e) => setTendered(minor(e.target.value))} />
              <p><button type="button" className="btn" disabled={busy} onClick={() => takeCash(tendered)}>{tr.takeCash}</button></p>
            </>
          ) : online ? (
            <p><button type="button" className="btn" disabled={busy} onClick={chargeCard}>{tr.chargeCard}{sep(lang)}{fmt(amount)}</button></p>
          ) : (
            <p role="alert" className="error">{tr.cardOffline}</p>
          )}
        </>
      )}
      {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
      <p><button type="button" className="btn secondary" onClick={() => ref.current?.close()}>{tr.close}</button></p>
    </dialog>
  );
}

// What the till holds that the server does not have yet: a banner while orders wait to be sent
// (and while they are being sent), the orders the server refused with its reasons, and the
// offline report — per server, the orders and cash taken offline and the refused ones. The
// outbox is sent whenever the till has a server session and a network: at once, when the
// browser comes back online, and every few seconds while something waits.
import { useCallback, useEffect, useRef, useState } from 'react';
import { till, restore } from '../../../stores/auth';
import { jobs, prune, replay, save, type Job } from '../../../lib/outbox';
import { formatClock, formatNumber, type Lang } from '../../../i18n';
import { offlineReport } from '../../../lib/outbox';
import { pos } from './strings';
import { money } from './shell';

const EVERY_MS = 3000;

export default function OutboxBar({ lang, currency, signedIn }: { lang: Lang; currency: string; signedIn: boolean }) {
  const tr = pos(lang).offline;
  const n = (x: number) => formatNumber(lang, x);
  const fmt = money(lang, currency);
  const [all, setAll] = useState<Job[]>([]);
  const [left, setLeft] = useState(0);
  const [report, setReport] = useState(false);
  const busy = useRef(false);

  const sync = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      const list = await jobs();
      setAll(list);
      if (!list.some((j) => j.state === 'pending') || !navigator.onLine) return;
      // An offline sign-in has no server session: the cookie of the last one may bring it back.
      if (!signedIn && !(await restore(till).catch(() => null))) return;
      // Cut off again mid-way: what is left waits for the next attempt.
      await replay(till, setLeft).catch(() => setLeft(0));
      setAll(await jobs());
    } finally {
      busy.current = false;
    }
  }, [signedIn]);

  useEffect(() => {
    // Orders sent days ago need not be kept on the till (the offline report is of the day).
    prune().catch(() => {});
  }, []);

  useEffect(() => {
    sync();
    const id = setInterval(sync, EVERY_MS);
    window.addEventListener('online', sync);
    return () => {
      clearInterval(id);
      window.removeEventListener('online', sync);
    };
  }, [sync]);

  const pending = all.filter((j) => j.state === 'pending');
  const refused = all.filter((j) => j.state === 'refused');
  const offline = all.some((j) => j.offlineRef);

  async function retry(job: Job) {
    await save({ ...job, state: 'pending', problem: undefined });
    await sync();
  }

  return (
    <>
      {pending.length > 0 && (
        <p role="status" className="till-banner" data-testid="offline-banner">
          {left > 0 ? tr.syncing(n(left)) : tr.banner(n(pending.length))}
        </p>
      )}
      {refused.length > 0 && (
        <div role="alert" className="till-banner refused" data-testid="refused">
          <strong>{tr.refused}</strong>
          <ul>
            {refused.map((j) => (
              <li key={j.clientRef}>
                {j.offlineRef ?? formatClock(lang, j.takenAt)} · {j.problem?.detail}
                <button type="button" className="btn secondary" onClick={() => retry(j)}>{tr.retry}</button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {offline && (
        <p>
          <button type="button" className="btn secondary" aria-expanded={report} onClick={() => setReport(!report)}>{tr.report}</button>
        </p>
      )}
      {report && (
        <table className="till-report" data-testid="offline-report">
          <thead>
            <tr><th>{pos(lang).floor.server}</th><th>{tr.orders}</th><th>{tr.cash}</th><th>{tr.refused}</th></tr>
          </thead>
          <tbody>
            {offlineReport(all).map((s) => (
              <tr key={s.staffId}>
                <td>{s.staffName}</td>
                <td className="num">{n(s.orders)}</td>
                <td className="num">{fmt(s.cash)}</td>
                <td>{s.refused.length ? s.refused.map((j) => `${j.offlineRef}: ${j.problem?.detail ?? ''}`).join('; ') : tr.noneRefused}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

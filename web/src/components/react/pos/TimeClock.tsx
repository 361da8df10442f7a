// Clocking in and out on the till, with breaks: the signed-in staff member's own time entry at
// this branch, kept for labour cost in reports. A manager sees the branch's day.
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../../../lib/api';
import type { Device } from '../../../lib/device';
import { till } from '../../../stores/auth';
import { formatClock, formatNumber, sep, type Lang } from '../../../i18n';
import { pos } from './strings';
import type { Staff } from './shell';
import { messages as msgs } from '../DeviceGate';

interface Entry {
  id: string;
  userId: string;
  displayName: string;
  clockIn: string;
  clockOut?: string | null;
  breaks: { startedAt: string; endedAt?: string | null; paid: boolean }[];
  workedSeconds: number;
  breakSeconds: number;
}
interface ClockState {
  status: 'off' | 'on' | 'on_break';
  entry: Entry | null;
  workedSeconds: number;
  breakSeconds: number;
}
interface Sheet {
  summary: { userId: string; displayName: string; entries: number; workedSeconds: number; breakSeconds: number }[];
}

/** "7 h 05 min" in the page's numerals. */
export function hours(lang: Lang, seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const two = (x: number) => formatNumber(lang, x).padStart(2, formatNumber(lang, 0));
  return lang === 'ar' ? `${formatNumber(lang, h)} س ${two(m)} د` : `${h} h ${two(m)} min`;
}

export default function TimeClock({ lang, device, staff }: { lang: Lang; device: Device; staff: Staff }) {
  const tr = pos(lang).clock;
  const [state, setState] = useState<ClockState | null>(null);
  const [sheet, setSheet] = useState<Sheet | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const manager = staff.role === 'manager' || staff.role === 'owner';

  const load = useCallback(async () => {
    setState(await api<ClockState>('/api/time-clock', { tokens: till }));
    if (manager) setSheet(await api<Sheet>(`/api/branches/${device.branchId}/time-entries`, { tokens: till }));
  }, [device.branchId, manager]);

  useEffect(() => {
    load().catch((e) => setErrors(msgs(e)));
  }, [load]);

  async function act(path: string, body?: unknown) {
    setErrors([]);
    try {
      await api(path, { body: body ?? {}, tokens: till });
      await load();
    } catch (e) {
      setErrors(msgs(e));
    }
  }

  const openBreak = state?.entry?.breaks.find((b) => !b.endedAt);
  return (
    <div className="till-drawer">
      <section className="card" aria-labelledby="clock-title">
        <h2 id="clock-title">{tr.title}{sep(lang)}{staff.name}</h2>
        {state === null && errors.length === 0 && <p aria-busy="true">…</p>}
        {state && (
          <p role="status" data-testid="clock-status" data-status={state.status}>
            {state.status === 'off' && tr.off}
            {state.status === 'on' && tr.on(formatClock(lang, state.entry!.clockIn))}
            {state.status === 'on_break' && tr.onBreak(formatClock(lang, openBreak?.startedAt ?? state.entry!.clockIn))}
            {state.status !== 'off' && <>{sep(lang)}{tr.worked(hours(lang, state.workedSeconds))}</>}
          </p>
        )}
        {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
        <p className="till-actions">
          {state?.status === 'off' && <button type="button" className="btn till-primary" onClick={() => act('/api/time-clock/in', { branchId: device.branchId })}>{tr.clockIn}</button>}
          {state?.status === 'on' && (
            <>
              <button type="button" className="btn secondary" onClick={() => act('/api/time-clock/break/start')}>{tr.startBreak}</button>
              <button type="button" className="btn till-primary" onClick={() => act('/api/time-clock/out')}>{tr.clockOut}</button>
            </>
          )}
          {state?.status === 'on_break' && <button type="button" className="btn till-primary" onClick={() => act('/api/time-clock/break/end')}>{tr.endBreak}</button>}
        </p>
      </section>
      {sheet && (
        <section className="card" aria-labelledby="sheet-title">
          <h2 id="sheet-title">{tr.today}</h2>
          <table className="till-report" data-testid="time-sheet">
            <thead><tr><th>{tr.who}</th><th>{tr.entries}</th><th>{tr.workedCol}</th><th>{tr.breaks}</th></tr></thead>
            <tbody>
              {sheet.summary.map((s) => (
                <tr key={s.userId}>
                  <td>{s.displayName}</td>
                  <td className="num">{formatNumber(lang, s.entries)}</td>
                  <td className="num">{hours(lang, s.workedSeconds)}</td>
                  <td className="num">{hours(lang, s.breakSeconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}

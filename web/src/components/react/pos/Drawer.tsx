// The till's cash drawer: open with a float, pay cash in or out with a reason, the X report at
// any time, close with the cash counted note by note and coin by coin, and the branch's Z report
// for a manager.
import { useEffect, useState } from 'react';
import { api, ApiError, type Schemas } from '../../../lib/api';
import type { Device } from '../../../lib/device';
import { till } from '../../../stores/auth';
import { countTotal, denominations } from '../../../lib/till';
import { formatClock, formatNumber, toMinor, type Lang } from '../../../i18n';
import { pos } from './strings';
import { money } from './shell';
import { messages as msgs } from '../DeviceGate';

type Report = Schemas['DrawerReport'];
type Z = Schemas['ZReport'];
type Servers = Schemas['ServerReport'];

export default function Drawer({ lang, device, currency }: { lang: Lang; device: Device; currency: string }) {
  const tr = pos(lang).drawer;
  const fmt = money(lang, currency);
  const minor = (s: string) => toMinor(currency, s);
  const [report, setReport] = useState<Report | null | undefined>(undefined);
  const [float, setFloat] = useState('500.00');
  const [move, setMove] = useState({ kind: 'cash_out' as 'cash_in' | 'cash_out', amount: '', reason: '' });
  const [counts, setCounts] = useState<Record<number, number>>({});
  const [z, setZ] = useState<Z | null>(null);
  const [servers, setServers] = useState<Servers | null>(null);
  const [errors, setErrors] = useState<string[]>([]);

  useEffect(() => {
    api<Report>('/api/drawers/current', { tokens: till }).then(setReport, (e) => {
      if (e instanceof ApiError && e.status === 404) setReport(null);
      else setErrors(msgs(e));
    });
  }, []);

  async function act(run: () => Promise<Report>) {
    setErrors([]);
    try {
      setReport(await run());
    } catch (e) {
      setErrors(msgs(e));
    }
  }

  // The till's own calendar day: a till stands in its branch, so it is the branch's day too.
  const today = () => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };

  async function zReport() {
    setErrors([]);
    try {
      setZ(await api<Z>(`/api/branches/${device.branchId}/reports/z?date=${today()}`, { tokens: till }));
    } catch (e) {
      setErrors(msgs(e));
    }
  }

  async function serverReport() {
    setErrors([]);
    try {
      setServers(await api<Servers>(`/api/branches/${device.branchId}/reports/servers?date=${today()}`, { tokens: till }));
    } catch (e) {
      setErrors(msgs(e));
    }
  }

  const { notes, coins } = denominations(currency);
  const counted = countTotal(counts);
  const n = (x: number) => formatNumber(lang, x);
  const open = report?.status === 'open';
  return (
    <div className="till-drawer">
      <section className="card" aria-labelledby="drawer-title">
        <h2 id="drawer-title">{tr.title}</h2>
        {report === undefined && <p aria-busy="true">…</p>}
        {report === null && (
          <form onSubmit={(e) => { e.preventDefault(); act(() => api<Report>('/api/drawers', { body: { branchId: device.branchId, float: minor(float) }, tokens: till })); }}>
            <p className="muted">{tr.closed}</p>
            <label htmlFor="drawer-float">{tr.float}</label>
            <input id="drawer-float" inputMode="decimal" dir="ltr" value={float} onChange={(e) => setFloat(e.target.value)} />
            <p><button type="submit" className="btn">{tr.open}</button></p>
          </form>
        )}
        {report && (
          <>
            <p>{open ? tr.opened(formatClock(lang, report.openedAt)) : tr.closedAt(formatClock(lang, report.closedAt ?? report.openedAt))}</p>
            <dl className="till-figures" data-testid="drawer-report">
              <Fig label={tr.float} value={fmt(report.floatAmount)} />
              <Fig label={`${tr.cashSales} (${n(report.cashSalesCount)})`} value={fmt(report.cashSales)} />
              <Fig label={tr.cashRefunds} value={fmt(report.cashRefunds)} />
              <Fig label={tr.payIns} value={fmt(report.cashIn)} />
              <Fig label={tr.payOuts} value={fmt(report.cashOut)} />
              <Fig label={tr.expected} value={fmt(report.expected)} testId="drawer-expected" />
              {report.counted != null && <Fig label={tr.counted} value={fmt(report.counted)} />}
              {report.overShort != null && <Fig label={tr.difference} value={fmt(report.overShort)} testId="drawer-difference" />}
            </dl>
          </>
        )}
        {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
      </section>
      {open && report && (
        <section className="card" aria-labelledby="move-title">
          <h2 id="move-title">{tr.payIn} / {tr.payOut}</h2>
          <form onSubmit={(e) => {
            e.preventDefault();
            act(() => api<Report>(`/api/drawers/${report.id}/movements`, { body: { kind: move.kind, amount: minor(move.amount), reason: move.reason }, tokens: till }))
              .then(() => setMove({ ...move, amount: '', reason: '' }));
          }}>
            <div role="radiogroup" aria-label={tr.payOut} className="till-segment">
              {(['cash_in', 'cash_out'] as const).map((k) => (
                <button key={k} type="button" role="radio" aria-checked={move.kind === k} className="btn secondary" onClick={() => setMove({ ...move, kind: k })}>
                  {k === 'cash_in' ? tr.payIn : tr.payOut}
                </button>
              ))}
            </div>
            <label htmlFor="move-amount">{tr.amount}</label>
            <input id="move-amount" inputMode="decimal" dir="ltr" required value={move.amount} onChange={(e) => setMove({ ...move, amount: e.target.value })} />
            <label htmlFor="move-reason">{tr.reason}</label>
            <input id="move-reason" required maxLength={200} value={move.reason} onChange={(e) => setMove({ ...move, reason: e.target.value })} />
            <p><button type="submit" className="btn">{tr.record}</button></p>
          </form>
        </section>
      )}
      {open && report && (
        <section className="card" aria-labelledby="count-title">
          <h2 id="count-title">{tr.count}</h2>
          {[{ title: tr.notes, list: notes }, { title: tr.coins, list: coins }].map((group) => (
            <fieldset key={group.title} className="till-count">
              <legend>{group.title}</legend>
              {group.list.map((v) => (
                <label key={v}>
                  <span>{fmt(v)}</span>
                  <input type="number" min={0} inputMode="numeric" value={counts[v] ?? ''} aria-label={`${group.title} ${fmt(v)}`}
                    onChange={(e) => setCounts({ ...counts, [v]: Math.max(0, Math.floor(Number(e.target.value) || 0)) })} />
                </label>
              ))}
            </fieldset>
          ))}
          <p className="till-total"><span>{tr.counted}</span> <strong data-testid="drawer-counted">{fmt(counted)}</strong></p>
          <p><button type="button" className="btn" onClick={() => act(() => api<Report>(`/api/drawers/${report.id}/close`, { body: { counted }, tokens: till }))}>{tr.close}</button></p>
        </section>
      )}
      <section className="card" aria-labelledby="servers-title">
        <h2 id="servers-title">{tr.servers}</h2>
        <p><button type="button" className="btn secondary" onClick={serverReport}>{tr.servers}</button></p>
        {servers && (
          <table className="till-report" data-testid="server-report">
            <thead><tr><th>{pos(lang).floor.server}</th><th>{pos(lang).offline.orders}</th><th>{tr.sales}</th><th>{pos(lang).adjust.tip}</th><th>{tr.cashOwed}</th><th>{pos(lang).tender.card}</th></tr></thead>
            <tbody>
              {servers.servers.map((s) => (
                <tr key={s.staffId}>
                  <td>{s.name}</td>
                  <td className="num">{n(s.orders)}</td>
                  <td className="num">{fmt(s.sales)}</td>
                  <td className="num">{fmt(s.tips)}</td>
                  <td className="num">{fmt(s.cashTaken)}</td>
                  <td className="num">{fmt(s.cardTaken)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="z-title">
        <h2 id="z-title">{tr.zReport}</h2>
        <p><button type="button" className="btn secondary" onClick={zReport}>{tr.zReport}</button></p>
        {z && (
          <dl className="till-figures" data-testid="z-report">
            <Fig label={pos(lang).orders.title} value={n(z.orders)} />
            <Fig label={pos(lang).total} value={fmt(z.total)} />
            <Fig label="VAT" value={fmt(z.vat)} />
            <Fig label={tr.cashSales} value={fmt(z.cashTaken)} />
            <Fig label={tr.cashRefunds} value={fmt(z.refunds)} />
            <Fig label={tr.difference} value={fmt(z.overShort)} />
          </dl>
        )}
      </section>
    </div>
  );
}

function Fig({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd className="num" data-testid={testId}>{value}</dd>
    </div>
  );
}

// The till: once a staff member is signed in on the registered till (`DeviceGate`), the shell
// with its screens (tables, a new order, the day's orders, the drawer, the time clock), who is
// signed in, the link to the server and the lock. Each screen is its own chunk, loaded when it
// is first opened, so the PIN screen comes up with the least script.
import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { useStore } from '@nanostores/react';
import { till, logOut } from '../../../stores/auth';
import { link } from '../../../stores/sse';
import { api, claims, type Schemas } from '../../../lib/api';
import type { Device } from '../../../lib/device';
import DeviceGate, { type OfflineSession } from '../DeviceGate';
import OutboxBar from './OutboxBar';
import { formatNumber, type Lang } from '../../../i18n';
import { pos } from './strings';
import { followBranch, useMenu, type Staff, type View, type Opening } from './shell';

const Till = lazy(() => import('./Till'));
const Orders = lazy(() => import('./Orders'));
const Drawer = lazy(() => import('./Drawer'));
const Floor = lazy(() => import('./Floor'));
const TimeClock = lazy(() => import('./TimeClock'));

const LOCK_KEY = 'sous:pos:lock-minutes';
const CONTRAST_KEY = 'sous:pos:contrast';
const LOCK_CHOICES = [0, 1, 2, 5, 10, 30];

export default function PointOfSale({ lang }: { lang: Lang }) {
  const tr = pos(lang);
  return (
    <div className="till-root">
      <DeviceGate lang={lang} kind="pos" session={till} texts={tr.gate} offline>
        {(device, _forget, offline) => <Shell lang={lang} device={device} offline={offline} />}
      </DeviceGate>
    </div>
  );
}

function readNumber(key: string, fallback: number): number {
  const v = typeof localStorage === 'undefined' ? null : localStorage.getItem(key);
  return v === null || Number.isNaN(Number(v)) ? fallback : Number(v);
}

/** The till keeps working without the server: the service worker keeps the app and the menu,
 *  and the browser is asked to keep this origin's storage (the outbox) under storage pressure. */
function usePersistence() {
  useEffect(() => {
    navigator.storage?.persist?.().catch(() => {});
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker
      .register('/pos-sw.js', { scope: '/' })
      .then(async () => {
        const ready = await navigator.serviceWorker.ready;
        // Every screen's chunk, so each opens offline too, then what this page loaded before
        // the worker controlled it.
        await Promise.all([import('./Till'), import('./Orders'), import('./Drawer'), import('./Floor'), import('./FloorEditor'), import('./TimeClock')]).catch(() => {});
        const urls = performance.getEntriesByType('resource').map((e) => e.name).filter((u) => new URL(u).pathname.startsWith('/_astro/'));
        ready.active?.postMessage({ type: 'keep', urls: [...urls, location.pathname] });
      })
      .catch(() => {});
  }, []);
}

function Shell({ lang, device, offline }: { lang: Lang; device: Device; offline: OfflineSession | null }) {
  const tr = pos(lang);
  const tokens = useStore(till.store);
  const state = useStore(link);
  const [staff, setStaff] = useState<Staff | null>(null);
  const [view, setView] = useState<View>('order');
  // What the new-order screen opens with: a table from the floor plan, or nothing.
  const [opening, setOpening] = useState<Opening>({ kind: 'takeaway' });
  const [lockMinutes, setLockMinutes] = useState(() => readNumber(LOCK_KEY, 5));
  const [contrast, setContrast] = useState(() => readNumber(CONTRAST_KEY, 0) === 1);
  const idle = useRef<ReturnType<typeof setTimeout> | null>(null);

  usePersistence();
  const { menu, error: menuError } = useMenu(device.branchId);
  const subject = tokens?.accessToken ? claims(tokens.accessToken).sub : null;
  useEffect(() => {
    if (!subject) {
      if (offline) setStaff({ id: offline.who.userId, role: offline.who.role, name: offline.who.displayName });
      return;
    }
    const c = claims(tokens!.accessToken);
    setStaff((s) => (s?.id === c.sub ? s : { id: c.sub, role: c.role, name: offline?.who.displayName ?? '' }));
    api<Schemas['Me']>('/api/me', { tokens: till }).then(
      (me) => setStaff({ id: c.sub, role: c.role, name: me.displayName ?? me.email ?? '' }),
      () => {},
    );
  }, [subject, offline?.who.userId]);

  // One stream of the branch's order events for every screen; it starts again with a new session.
  useEffect(() => (subject ? followBranch(device.branchId, till) : undefined), [device.branchId, subject]);

  const lock = useCallback(() => {
    offline?.end();
    logOut(till);
  }, [offline]);

  // Auto-lock: any touch, click or key restarts the idle timer.
  useEffect(() => {
    localStorage.setItem(LOCK_KEY, String(lockMinutes));
    if (!lockMinutes) return;
    const restart = () => {
      if (idle.current) clearTimeout(idle.current);
      idle.current = setTimeout(lock, lockMinutes * 60_000);
    };
    restart();
    const events = ['pointerdown', 'keydown'] as const;
    events.forEach((e) => window.addEventListener(e, restart, { passive: true }));
    return () => {
      if (idle.current) clearTimeout(idle.current);
      events.forEach((e) => window.removeEventListener(e, restart));
    };
  }, [lockMinutes, lock]);

  useEffect(() => {
    localStorage.setItem(CONTRAST_KEY, contrast ? '1' : '0');
    document.documentElement.classList.toggle('high-contrast', contrast);
  }, [contrast]);

  const open = (v: View, o?: Opening) => {
    if (o) setOpening(o);
    setView(v);
  };

  const views: View[] = ['floor', 'order', 'orders', 'drawer', 'clock'];
  const other = lang === 'ar' ? 'en' : 'ar';
  return (
    <div className="till">
      <header className="till-bar">
        <strong>{tr.title}</strong>
        <span className="muted">{device.name}</span>
        <nav aria-label={tr.title} className="till-nav">
          {views.map((v) => (
            <button key={v} type="button" className="btn secondary" aria-pressed={view === v} onClick={() => open(v)}>
              {tr.nav[v]}
            </button>
          ))}
        </nav>
        <span className={`pill ${state}`} role="status">{tr.link[state] ?? state}</span>
        <span data-testid="signed-in">{staff?.name ? tr.signedIn(staff.name) : ''}</span>
        <button type="button" className="btn secondary" onClick={lock}>{tr.switchStaff}</button>
        <details className="till-settings">
          <summary className="btn secondary">⚙</summary>
          <label htmlFor="till-lock">{tr.autoLock}</label>
          <select id="till-lock" value={lockMinutes} onChange={(e) => setLockMinutes(Number(e.target.value))}>
            {LOCK_CHOICES.map((m) => <option key={m} value={m}>{m ? tr.minutes(formatNumber(lang, m)) : tr.never}</option>)}
          </select>
          <label style={{ display: 'flex', gap: '.5rem', alignItems: 'center' }}>
            <input type="checkbox" checked={contrast} onChange={(e) => setContrast(e.target.checked)} style={{ inlineSize: 'auto' }} />
            {tr.highContrast}
          </label>
          <p><a href={`/${other}/pos`} hrefLang={other} lang={other}>{tr.language}</a></p>
        </details>
      </header>
      {menu && <OutboxBar lang={lang} currency={menu.currency} signedIn={!!subject} />}
      <div className="till-view">
        <Suspense fallback={<p aria-busy="true">…</p>}>
          {staff && view === 'order' && <Till lang={lang} device={device} staff={staff} menu={menu} menuError={menuError} opening={opening} onOpen={open} />}
          {staff && view === 'orders' && <Orders lang={lang} device={device} staff={staff} onOpen={open} />}
          {staff && view === 'drawer' && menu && <Drawer lang={lang} device={device} currency={menu.currency} />}
          {staff && view === 'clock' && <TimeClock lang={lang} device={device} staff={staff} />}
          {staff && view === 'floor' && menu && <Floor lang={lang} device={device} staff={staff} currency={menu.currency} onOpen={open} />}
        </Suspense>
      </div>
    </div>
  );
}

// The way onto a registered screen (a kitchen display or a till), in three steps: a manager
// registers the screen to a branch once (its key is kept non-extractable in IndexedDB), a staff
// member picks their tile and types their PIN (both requests signed by the screen's key), then
// the screen itself. A session from another screen or branch is not this screen's.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useStore } from '@nanostores/react';
import { restore, type Session } from '../../stores/auth';
import { api, ApiError, claims, unreachable, type Schemas, type TokenPair, type TokenStore } from '../../lib/api';
import { loadDevice, registerDevice, pinLogin, staffTiles, forgetDevice, type Device, type DeviceKind, type StaffTile } from '../../lib/device';
import { keepTiles, keptTiles, remember, verify } from '../../lib/offline-staff';
import { t, pick, sep, type Lang } from '../../i18n';
import { Keypad, PIN_MAX, PIN_MIN } from './ManagerPin';

/** The words of the gate, which differ between a kitchen screen and a till. */
export interface GateTexts {
  register: string;
  registerHelp: string;
  deviceName: string;
  defaultName: string;
  pinTitle: string;
  whoTitle: string;
  noStaff: string;
  notYou: string;
  pinFor: (name: string) => string;
  signInPin: string;
  /** Shown when the server cannot be reached and the PIN is checked on the screen itself. */
  offlinePin?: string;
}

/** Who signed in while the server could not be reached (a till only), and how that ends. */
export interface OfflineSession {
  who: StaffTile;
  end: () => void;
}

export const messages = (e: unknown) => (e instanceof ApiError ? e.messages() : [String(e)]);

export function Errors({ list }: { list: string[] }) {
  if (list.length === 0) return null;
  return <div role="alert" className="error">{list.map((m) => <p key={m}>{m}</p>)}</div>;
}

export default function DeviceGate({ lang, kind, session, texts, offline = false, children }: {
  lang: Lang;
  kind: DeviceKind;
  session: Session;
  texts: GateTexts;
  /** Let staff who signed in here before sign in with their PIN while the server is unreachable. */
  offline?: boolean;
  children: (device: Device, forget: () => void, offline: OfflineSession | null) => ReactNode;
}) {
  const [device, setDevice] = useState<Device | null | undefined>(undefined);
  const signedIn = useStore(session.store);
  const [restoring, setRestoring] = useState(true);
  const [offlineWho, setOfflineWho] = useState<StaffTile | null>(null);

  useEffect(() => {
    loadDevice(kind).then(setDevice, () => setDevice(null));
    // After a reload the staff member's session comes back from its cookie (or, offline, not).
    restore(session)
      .catch(() => null)
      .finally(() => setRestoring(false));
  }, [kind, session]);

  const forget = () => forgetDevice(kind).then(() => setDevice(null));
  if (device === undefined || (restoring && !signedIn)) return <p aria-busy="true">…</p>;
  if (!device) return <Register lang={lang} kind={kind} texts={texts} onDone={setDevice} />;
  const online = signedIn && claims(signedIn.accessToken).did === device.id;
  if (online) return <>{children(device, forget, null)}</>;
  if (offlineWho) return <>{children(device, forget, { who: offlineWho, end: () => setOfflineWho(null) })}</>;
  return <PinPad lang={lang} kind={kind} session={session} texts={texts} device={device} onForget={forget} offline={offline} onOffline={setOfflineWho} />;
}

function Register({ lang, kind, texts, onDone }: { lang: Lang; kind: DeviceKind; texts: GateTexts; onDone: (d: Device) => void }) {
  const tr = t(lang);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState(texts.defaultName);
  const [branches, setBranches] = useState<Schemas['BranchDto'][] | null>(null);
  const [branchId, setBranchId] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const manager = useRef<TokenPair | null>(null);
  const tokens: TokenStore = { get: () => manager.current, set: (v) => (manager.current = v) };

  async function signIn(e: React.FormEvent) {
    e.preventDefault();
    setErrors([]);
    try {
      manager.current = await api<TokenPair>('/api/auth/login', { body: { email, password } });
      const list = await api<Schemas['BranchDto'][]>('/api/branches', { tokens });
      setBranches(list);
      setBranchId(list[0]?.id ?? '');
    } catch (err) {
      setErrors(messages(err));
    }
  }

  async function register(e: React.FormEvent) {
    e.preventDefault();
    setErrors([]);
    try {
      const d = await registerDevice(kind, tokens, branchId, name);
      // The manager's session was only for this; end it.
      await api('/api/auth/logout', { body: { refreshToken: manager.current!.refreshToken } }).catch(() => {});
      manager.current = null;
      onDone(d);
    } catch (err) {
      setErrors(messages(err));
    }
  }

  return (
    <section className="card" style={{ maxInlineSize: '28rem', marginInline: 'auto' }} aria-labelledby="reg-title">
      <h1 id="reg-title">{texts.register}</h1>
      <p className="muted">{texts.registerHelp}</p>
      {!branches ? (
        <form onSubmit={signIn}>
          <label htmlFor="reg-email">{tr.email}</label>
          <input id="reg-email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <label htmlFor="reg-password">{tr.password}</label>
          <input id="reg-password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          <p><button className="btn" type="submit">{tr.signIn}</button></p>
        </form>
      ) : (
        <form onSubmit={register}>
          <label htmlFor="reg-branch">{tr.branch}</label>
          <select id="reg-branch" value={branchId} onChange={(e) => setBranchId(e.target.value)}>
            {branches.map((b: any) => <option key={b.id} value={b.id}>{pick(lang, b.name, b.nameAr)}</option>)}
          </select>
          <label htmlFor="reg-name">{texts.deviceName}</label>
          <input id="reg-name" required maxLength={60} value={name} onChange={(e) => setName(e.target.value)} />
          <p><button className="btn" type="submit">{texts.register}</button></p>
        </form>
      )}
      <Errors list={errors} />
    </section>
  );
}

// A PIN names nobody on its own: the staff member first picks their tile (large touch targets),
// then types their PIN.
function PinPad({ lang, kind, session, texts, device, onForget, offline, onOffline }: {
  lang: Lang;
  kind: DeviceKind;
  session: Session;
  texts: GateTexts;
  device: Device;
  onForget: () => void;
  offline: boolean;
  onOffline: (who: StaffTile) => void;
}) {
  const [tiles, setTiles] = useState<StaffTile[] | null>(null);
  const [who, setWho] = useState<StaffTile | null>(null);
  const [errors, setErrors] = useState<string[]>([]);

  useEffect(() => {
    staffTiles(kind, device).then(
      (list) => {
        setTiles(list);
        if (offline) keepTiles(device.id, list).catch(() => {});
      },
      async (err) => {
        // Offline: the tiles as last shown here.
        const kept = offline && unreachable(err) ? await keptTiles(device.id).catch(() => []) : [];
        setTiles(kept);
        if (kept.length === 0) setErrors(messages(err));
      },
    );
  }, [kind, device, offline]);

  if (who) return <PinEntry lang={lang} kind={kind} session={session} texts={texts} device={device} who={who} onBack={() => setWho(null)} offline={offline} onOffline={onOffline} />;
  return (
    <section className="card" style={{ maxInlineSize: '40rem', marginInline: 'auto', textAlign: 'center' }} aria-labelledby="who-title">
      <h1 id="who-title">{texts.whoTitle}</h1>
      <p className="muted">{device.name}</p>
      {tiles === null && <p aria-busy="true">…</p>}
      {tiles?.length === 0 && errors.length === 0 && <p>{texts.noStaff}</p>}
      <ul data-testid="staff-tiles" style={{ listStyle: 'none', padding: 0, display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(10rem, 1fr))', gap: '.75rem', marginBlock: '1rem' }}>
        {tiles?.map((s) => (
          <li key={s.userId}>
            <button type="button" className="btn secondary" style={{ inlineSize: '100%', minBlockSize: '5rem', fontSize: '1.25rem' }} onClick={() => setWho(s)}>
              {s.displayName}
            </button>
          </li>
        ))}
      </ul>
      <Errors list={errors} />
      <button type="button" className="btn secondary" onClick={onForget}>{texts.register}</button>
    </section>
  );
}

function PinEntry({ lang, kind, session, texts, device, who, onBack, offline, onOffline }: {
  lang: Lang;
  kind: DeviceKind;
  session: Session;
  texts: GateTexts;
  device: Device;
  who: StaffTile;
  onBack: () => void;
  offline: boolean;
  onOffline: (who: StaffTile) => void;
}) {
  const [pin, setPin] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  async function submit(e?: React.FormEvent) {
    e?.preventDefault();
    setBusy(true);
    setErrors([]);
    try {
      const pair = await pinLogin(kind, device, who.userId, pin);
      if (offline) await remember(device.id, who, pin).catch(() => {});
      session.set(pair);
    } catch (err) {
      const local = offline && unreachable(err) ? await verify(device.id, who.userId, pin).catch(() => null) : null;
      if (local) onOffline(local);
      else setErrors(offline && unreachable(err) && texts.offlinePin ? [texts.offlinePin] : messages(err));
      setPin('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" style={{ maxInlineSize: '22rem', marginInline: 'auto', textAlign: 'center' }} aria-labelledby="pin-title">
      <h1 id="pin-title">{texts.pinTitle}</h1>
      <p className="muted">{who.displayName}{sep(lang)}{device.name}</p>
      <form onSubmit={submit}>
        <label htmlFor="pin" className="skip">{texts.pinFor(who.displayName)}</label>
        <input id="pin" type="password" inputMode="numeric" autoComplete="off" pattern="[0-9]*" maxLength={PIN_MAX} value={pin}
          onChange={(e) => setPin(e.target.value.replace(/\D/g, '').slice(0, PIN_MAX))} style={{ fontSize: '2rem', textAlign: 'center', letterSpacing: '.5rem' }} dir="ltr" />
        <Keypad lang={lang} onDigit={(d) => setPin((p) => (p.length < PIN_MAX ? p + d : p))} onClear={() => setPin('')}
          submitLabel={texts.signInPin} disabled={busy || pin.length < PIN_MIN} />
      </form>
      <Errors list={errors} />
      <button type="button" className="btn secondary" onClick={onBack}>{texts.notYou}</button>
    </section>
  );
}

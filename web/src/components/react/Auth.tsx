// Customer sign-in and sign-up for website ordering; token refresh is lib/api.ts's business.
import { useEffect, useState } from 'react';
import { useStore } from '@nanostores/react';
import { customer, logIn, signUp, logOut, restore } from '../../stores/auth';
import { api, claims } from '../../lib/api';
import { problemMessage } from '../../lib/problems';
import { t, type Lang } from '../../i18n';

export default function Auth({ lang, brand }: { lang: Lang; brand: string }) {
  const tr = t(lang);
  const pair = useStore(customer.store);
  const [mode, setMode] = useState<'in' | 'up'>('in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [me, setMe] = useState<string | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  // Until the session is back from its cookie (after a reload), neither form nor name.
  const [restoring, setRestoring] = useState(true);

  useEffect(() => {
    restore(customer).finally(() => setRestoring(false));
  }, []);

  useEffect(() => {
    if (!pair) return setMe(null);
    api<{ displayName?: string | null; email?: string | null }>('/api/me', { tokens: customer })
      .then((m) => setMe(m.displayName ?? m.email ?? ''))
      .catch(() => setMe(null));
  }, [pair ? claims(pair.accessToken).sub : null]);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setErrors([]);
    try {
      if (mode === 'in') await logIn(customer, email, password, brand);
      else await signUp(customer, email, password, name, brand);
      setPassword('');
    } catch (err) {
      setErrors([problemMessage(lang, err)]);
    }
  }

  if (restoring && !pair) return <p className="card" aria-busy="true" data-auth="restoring">…</p>;
  if (pair) {
    return (
      <div className="card" data-auth="signed-in" style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: '.5rem' }}>
        <span>{tr.signedInAs(me ?? '…')}</span>
        <button type="button" className="btn secondary" onClick={() => logOut(customer)}>{tr.signOut}</button>
      </div>
    );
  }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="auth-title" data-auth="signed-out">
      <h2 id="auth-title" style={{ marginBlockStart: 0 }}>{mode === 'in' ? tr.signIn : tr.signUp}</h2>
      {mode === 'up' && (
        <>
          <label htmlFor="auth-name">{tr.name}</label>
          <input id="auth-name" required value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" />
        </>
      )}
      <label htmlFor="auth-email">{tr.email}</label>
      <input id="auth-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />
      <label htmlFor="auth-password">{tr.password}</label>
      <input id="auth-password" type="password" required minLength={mode === 'up' ? 10 : undefined} value={password}
        onChange={(e) => setPassword(e.target.value)} autoComplete={mode === 'in' ? 'current-password' : 'new-password'} />
      {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
      <div style={{ display: 'flex', gap: '.5rem', marginBlockStart: '.75rem', flexWrap: 'wrap' }}>
        <button type="submit" className="btn">{mode === 'in' ? tr.signIn : tr.signUp}</button>
        <button type="button" className="btn secondary" onClick={() => setMode(mode === 'in' ? 'up' : 'in')}>{mode === 'in' ? tr.signUp : tr.signIn}</button>
      </div>
      <p className="muted">{tr.continueAsGuest}: ↓</p>
    </form>
  );
}

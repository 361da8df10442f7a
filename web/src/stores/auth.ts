// Sessions of this browser: the guest's (a QR table or a website guest), the customer's
// account, and the kitchen screen's PIN sign-in. The access token lives in memory only; the
// refresh token is an httpOnly cookie the API sets (`X-Sous-Session`), which scripts cannot
// read. What survives a reload is a flag saying a session may be there to recover: the first
// call after a reload asks `/api/auth/refresh`, which answers from the cookie.
import { atom, type WritableAtom } from 'nanostores';
import { persistentAtom } from '@nanostores/persistent';
import { api, claims, refresh, type SessionSlot, type TokenPair, type TokenStore } from '../lib/api';

export interface Session extends TokenStore {
  store: WritableAtom<TokenPair | null>;
  slot: SessionSlot;
}

export function session(slot: SessionSlot): Session {
  const store = atom<TokenPair | null>(null);
  // Not a secret: only "there may be a cookie to recover".
  const signedIn = persistentAtom<string>(`sous:signed-in:${slot}`, '');
  // Sessions used to be kept here, tokens and all; drop what an older version left.
  if (typeof localStorage !== 'undefined') localStorage.removeItem(`sous:session:${slot}`);
  return {
    store,
    slot,
    get: () => store.get(),
    set: (t) => {
      store.set(t);
      signedIn.set(t ? '1' : '');
    },
    restorable: () => signedIn.get() === '1',
  };
}

/** A guest at a table or ordering on the website without an account. */
export const guest = session('guest');
/** A signed-in customer. */
export const customer = session('customer');
/** Staff signed in by PIN on this kitchen screen. */
export const kitchen = session('kds');
/** Staff signed in by PIN on this till. */
export const till = session('pos');

/** The session as it was before the reload (or none): asks the API once, from the cookie. */
export async function restore(s: Session): Promise<TokenPair | null> {
  if (s.get() || !s.restorable?.()) return s.get();
  return refresh(s);
}

/** The subject (user or guest session id) of a session, for "added by you". */
export function subject(s: TokenStore): string | null {
  const pair = s.get();
  return pair ? (claims(pair.accessToken).sub ?? null) : null;
}

/** The header that asks the API for the refresh token as this session's cookie. */
export function cookieMode(s: Session): Record<string, string> {
  return { 'x-sous-session': s.slot };
}

export async function logIn(s: Session, email: string, password: string, tenant: string) {
  s.set(await api<TokenPair>('/api/auth/login', { body: { email, password, tenant }, headers: cookieMode(s) }));
}

export async function signUp(s: Session, email: string, password: string, displayName: string, tenant: string) {
  s.set(
    await api<TokenPair>('/api/auth/customers', {
      body: { email, password, displayName, tenant },
      headers: cookieMode(s),
    }),
  );
}

/** A session handed over in a body (joining a table starts one): its refresh token goes into
 *  the cookie at once and is not kept here. */
export async function adopt(s: Session, pair: TokenPair) {
  s.set(await api<TokenPair>('/api/auth/refresh', { body: { refreshToken: pair.refreshToken }, headers: cookieMode(s) }));
}

/** Ends the session on the server (its refresh family, from the cookie) and here. */
export async function logOut(s: Session) {
  s.set(null);
  await api('/api/auth/logout', { body: {}, headers: cookieMode(s) }).catch(() => {});
}

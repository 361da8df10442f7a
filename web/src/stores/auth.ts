// Sessions, kept in localStorage so a reload or the next page keeps them: the guest's (a QR
// table or a website guest), the customer's account, and the kitchen screen's PIN sign-in.
import { persistentAtom } from '@nanostores/persistent';
import type { WritableAtom } from 'nanostores';
import { api, claims, type TokenPair, type TokenStore } from '../lib/api';

export interface Session extends TokenStore {
  store: WritableAtom<TokenPair | null>;
}

const json = {
  encode: (v: TokenPair | null) => JSON.stringify(v),
  decode: (s: string): TokenPair | null => {
    try {
      return JSON.parse(s);
    } catch {
      return null;
    }
  },
};

export function session(key: string): Session {
  const store = persistentAtom<TokenPair | null>(key, null, json);
  return { store, get: () => store.get(), set: (t) => store.set(t) };
}

/** A guest at a table or ordering on the website without an account. */
export const guest = session('sous:session:guest');
/** A signed-in customer. */
export const customer = session('sous:session:customer');
/** Staff signed in by PIN on this kitchen screen. */
export const kitchen = session('sous:session:kds');

/** The subject (user or guest session id) of a session, for "added by you". */
export function subject(s: TokenStore): string | null {
  const pair = s.get();
  return pair ? (claims(pair.access_token).sub ?? null) : null;
}

export async function logIn(s: Session, email: string, password: string, tenant: string) {
  s.set(await api<TokenPair>('/api/auth/login', { body: { email, password, tenant } }));
}

export async function signUp(s: Session, email: string, password: string, displayName: string, tenant: string) {
  s.set(await api<TokenPair>('/api/auth/customers', { body: { email, password, display_name: displayName, tenant } }));
}

/** Ends the session on the server (its refresh family) and here. */
export async function logOut(s: Session) {
  const pair = s.get();
  s.set(null);
  if (pair) await api('/api/auth/logout', { body: { refresh_token: pair.refresh_token } }).catch(() => {});
}

// Staff sign-in on a till that cannot reach the server. Each time a staff member signs in online
// with their PIN on this till, a verifier of that PIN is kept here (PBKDF2-SHA-256 with a random
// salt, never the PIN), and the staff tiles are kept as last shown. Offline, the same people can
// sign in with the same PIN and go on taking orders; the orders are sent under a server session
// once the till is back online. A manager's approval offline is checked the same way.
import { createStore, get, set } from 'idb-keyval';
import type { StaffTile } from './device';

interface Verifier {
  tile: StaffTile;
  salt: string;
  hash: string;
  iterations: number;
}

const ITERATIONS = 120_000;
let db: ReturnType<typeof createStore> | null = null;
const store = () => (db ??= createStore('sous-pos-staff', 'staff'));
const tilesKey = (deviceId: string) => `tiles:${deviceId}`;
const verifierKey = (deviceId: string, userId: string) => `pin:${deviceId}:${userId}`;

const hex = (b: ArrayBuffer | Uint8Array) => Array.from(b instanceof Uint8Array ? b : new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

async function derive(pin: string, salt: Uint8Array, iterations: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations }, key, 256);
  return hex(bits);
}

/** Constant-time comparison of two hex strings of equal length. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

export async function keepTiles(deviceId: string, tiles: StaffTile[]): Promise<void> {
  await set(tilesKey(deviceId), tiles, store());
}

export async function keptTiles(deviceId: string): Promise<StaffTile[]> {
  return (await get<StaffTile[]>(tilesKey(deviceId), store())) ?? [];
}

/** After an online PIN sign-in (or approval) the server accepted: keep a verifier of the PIN. */
export async function remember(deviceId: string, tile: StaffTile, pin: string): Promise<void> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const v: Verifier = { tile, salt: hex(salt), hash: await derive(pin, salt, ITERATIONS), iterations: ITERATIONS };
  await set(verifierKey(deviceId, tile.userId), v, store());
}

/** The staff member, when `pin` is the PIN they last signed in with on this till. */
export async function verify(deviceId: string, userId: string, pin: string): Promise<StaffTile | null> {
  const v = await get<Verifier>(verifierKey(deviceId, userId), store());
  if (!v) return null;
  return same(await derive(pin, unhex(v.salt), v.iterations), v.hash) ? v.tile : null;
}

/** A manager (or the owner) who signed in on this till before and whose PIN this is: an approval
 *  given offline, by someone present. */
export async function verifyManager(deviceId: string, pin: string): Promise<StaffTile | null> {
  for (const tile of await keptTiles(deviceId)) {
    if (tile.role !== 'manager' && tile.role !== 'owner') continue;
    const ok = await verify(deviceId, tile.userId, pin);
    if (ok) return ok;
  }
  return null;
}

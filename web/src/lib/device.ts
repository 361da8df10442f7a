// A kitchen screen or a till (POS) is a registered device: a manager registers it once (the server shows the
// 32-byte key once), the key is imported into WebCrypto as a non-extractable HMAC key and kept in
// IndexedDB (a CryptoKey survives there without its bytes ever being readable by scripts), and
// staff PIN sign-ins are signed with it as docs/api.md §3 describes:
//   canonical = METHOD \n PATH_AND_QUERY \n TIMESTAMP \n NONCE \n hex(SHA-256(body))
//   X-Sous-Signature = hex(HMAC-SHA256(key, canonical))
import { get, set, del } from 'idb-keyval';
import { api, ApiError, type TokenPair } from './api';

export interface Device {
  id: string;
  branchId: string;
  name: string;
  key: CryptoKey;
  /** The device's number at its branch (till 1, till 2…); kept since registration. */
  number?: number;
}

/** What a device is: a kitchen screen or a till. It also names its browser session slot. */
export type DeviceKind = 'kds' | 'pos';

const storeKey = (kind: DeviceKind) => `sous:${kind}:device`;

export function base64urlToBytes(s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=');
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function importKey(secret: string, extractable = false): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', base64urlToBytes(secret) as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, extractable, ['sign']);
}

/** 32 hex characters, new for every request. */
export function nonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return hex(bytes.buffer);
}

export async function signatureHeaders(
  device: { id: string; key: CryptoKey },
  method: string,
  pathAndQuery: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
  n = nonce(),
): Promise<Record<string, string>> {
  const enc = new TextEncoder();
  const bodyHash = hex(await crypto.subtle.digest('SHA-256', enc.encode(body)));
  const canonical = `${method}\n${pathAndQuery}\n${timestamp}\n${n}\n${bodyHash}`;
  const sig = hex(await crypto.subtle.sign('HMAC', device.key, enc.encode(canonical)));
  return {
    'x-sous-device': device.id,
    'x-sous-timestamp': String(timestamp),
    'x-sous-nonce': n,
    'x-sous-signature': sig,
  };
}

export async function loadDevice(kind: DeviceKind): Promise<Device | null> {
  return ((await get(storeKey(kind))) as Device | undefined) ?? null;
}

export async function forgetDevice(kind: DeviceKind): Promise<void> {
  await del(storeKey(kind));
}

/** Registers this screen at a branch with a manager's token and keeps its key. */
export async function registerDevice(
  kind: DeviceKind,
  managerToken: { get(): TokenPair | null; set(t: TokenPair | null): void },
  branchId: string,
  name: string,
): Promise<Device> {
  const answer = await api<{ device: { id: string; number: number }; secret: string }>(`/api/branches/${branchId}/devices`, {
    body: { kind, name },
    tokens: managerToken,
  });
  const device: Device = { id: answer.device.id, branchId, name, number: answer.device.number, key: await importKey(answer.secret) };
  await set(storeKey(kind), device);
  return device;
}

/** A staff member on the screen's sign-in tiles. */
export interface StaffTile {
  userId: string;
  displayName: string;
  role: string;
}

async function signedFetch<T>(kind: DeviceKind, device: Device, method: 'GET' | 'POST', path: string, body = ''): Promise<T> {
  const headers = await signatureHeaders(device, method, path, body);
  const res = await fetch(path, {
    method,
    // A sign-in's refresh token becomes the screen's session cookie (its slot is the device's
    // kind); the answer carries the access token only.
    headers: method === 'POST' ? { 'content-type': 'application/json', 'x-sous-session': kind, ...headers } : headers,
    body: method === 'POST' ? body : undefined,
  });
  if (!res.ok) {
    const p = await res.json().catch(() => ({}));
    throw new ApiError(res.status, p.code ?? `http_${res.status}`, p.detail, p.errors);
  }
  return res.json();
}

/** Who may sign in on this screen (its branch's staff with a PIN), signed by the device. */
export function staffTiles(kind: DeviceKind, device: Device): Promise<StaffTile[]> {
  return signedFetch(kind, device, 'GET', '/api/auth/pin/staff');
}

/** Staff PIN sign-in as the member picked on a tile, signed by the device. */
export function pinLogin(kind: DeviceKind, device: Device, userId: string, pin: string): Promise<TokenPair> {
  return signedFetch(kind, device, 'POST', '/api/auth/pin', JSON.stringify({ userId, pin }));
}

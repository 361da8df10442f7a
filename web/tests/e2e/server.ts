// The server under test: `sous serve` with its own data directory (a fresh embedded PostgreSQL,
// migrated and seeded with the demo brand) on a free loopback port, the web app as its child.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, chmodSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const STATE_FILE = join(tmpdir(), 'sous-e2e-state.json');
export const REPO = resolve(import.meta.dirname, '../../..');

export interface E2EState {
  pid: number;
  dataDir: string;
  baseURL: string;
  branchId: string;
  tables: { label: string; qrToken: string }[];
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as any).port;
      srv.close(() => ok(port));
    });
    srv.on('error', fail);
  });
}

async function waitFor(url: string, ms: number, child: ChildProcess) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`sous serve exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

/** A `sous serve --demo` of its own: a data directory (kept across a restart when given) and a
 *  loopback port (the same one again on a restart, so the browser's origin stays). */
export interface Launched {
  child: ChildProcess;
  baseURL: string;
  dataDir: string;
  port: number;
}

export async function launch(opts: { dataDir?: string; port?: number } = {}): Promise<Launched> {
  const bin = process.env.SOUS_BIN ?? resolve(REPO, process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'sous');
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sous-e2e-'));
  chmodSync(dataDir, 0o755); // as root the embedded server runs as `postgres`
  const port = opts.port ?? (await freePort());
  // The server gets its own embedded cluster, whatever the caller's environment points at.
  const env = { ...process.env };
  delete env.SOUS_DATABASE_URL;
  delete env.SOUS_APP_DATABASE_URL;
  const child = spawn(bin, ['serve', '--demo', '--port', String(port)], {
    cwd: REPO,
    env: {
      ...env,
      SOUS_DATA_DIR: dataDir,
      // Each test starts several guest sessions from 127.0.0.1.
      SOUS_RATE_LIMITS__SIGNUP_PER_MINUTE: '1000',
      SOUS_RATE_LIMITS__LOGIN_PER_MINUTE: '1000',
      SOUS_RATE_LIMITS__LOGIN_PER_IP_PER_MINUTE: '1000',
      // Every page load of a signed-in page refreshes its session from the cookie.
      SOUS_RATE_LIMITS__REFRESH_PER_MINUTE: '1000',
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
    },
    stdio: ['ignore', process.env.SOUS_E2E_VERBOSE ? 'inherit' : 'ignore', 'inherit'],
    detached: false,
  });
  const baseURL = `http://127.0.0.1:${port}`;
  await waitFor(`${baseURL}/api/health`, 120_000, child);
  await waitFor(`${baseURL}/en/`, 30_000, child);
  return { child, baseURL, dataDir, port };
}

/** Stops a launched server and waits until it (and its PostgreSQL) is gone. */
export async function halt(server: Launched): Promise<void> {
  if (server.child.exitCode !== null) return;
  const gone = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await gone;
}

export async function startServer(): Promise<E2EState> {
  const { child, baseURL, dataDir } = await launch();
  const brand = await (await fetch(`${baseURL}/api/brands/demo`)).json();
  const branchId = brand.branches.find((b: any) => b.name.startsWith('Riyadh')).id;
  const login = await (
    await fetch(`${baseURL}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'manager@demo.sous.test', password: 'sous-demo-2026' }),
    })
  ).json();
  const tables = await (
    await fetch(`${baseURL}/api/branches/${branchId}/dining-tables`, { headers: { authorization: `Bearer ${login.accessToken}` } })
  ).json();
  // The demo branches keep real opening hours, and guests' orders are refused while a branch is
  // closed: open both around the clock (no hours), so the tests do not depend on the time they
  // run at (delivery.spec.ts sets hours of its own and restores these).
  const owner = await (
    await fetch(`${baseURL}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@demo.sous.test', password: 'sous-demo-2026' }),
    })
  ).json();
  for (const b of brand.branches) {
    const headers = { authorization: `Bearer ${owner.accessToken}`, 'content-type': 'application/json' };
    const branch = updatable(await (await fetch(`${baseURL}/api/branches/${b.id}`, { headers })).json());
    const put = await fetch(`${baseURL}/api/branches/${b.id}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ ...branch, openingHours: {} }),
    });
    if (!put.ok) throw new Error(`opening ${b.name} around the clock: ${put.status} ${await put.text()}`);
  }
  const state: E2EState = { pid: child.pid!, dataDir, baseURL, branchId, tables: tables.map((t: any) => ({ label: t.label, qrToken: t.qrToken })) };
  writeFileSync(STATE_FILE, JSON.stringify(state));
  child.unref();
  return state;
}

export function readState(): E2EState {
  return JSON.parse(readFileSync(STATE_FILE, 'utf8'));
}

export async function stopServer() {
  let state: E2EState;
  try {
    state = readState();
  } catch {
    return;
  }
  try {
    process.kill(state.pid, 'SIGTERM');
    // Wait for the embedded PostgreSQL to stop before removing its directory.
    for (let i = 0; i < 100; i++) {
      process.kill(state.pid, 0);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch {
    /* gone */
  }
  rmSync(state.dataDir, { recursive: true, force: true });
  rmSync(STATE_FILE, { force: true });
}

/** Signs in over the API (for the test's own set-up steps, e.g. the cashier accepting an order). */
export async function login(baseURL: string, email: string): Promise<string> {
  const res = await fetch(`${baseURL}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'sous-demo-2026' }),
  });
  if (!res.ok) throw new Error(`login ${email}: ${res.status}`);
  return (await res.json()).accessToken;
}

/** One API call of a test's own set-up or check, as `token`; a refusal fails the test. */
/** A branch as read, in the fields a branch update takes (the answer also names the branch's
 *  country and currency, which have a call of their own). */
export function updatable(b: any) {
  const { name, nameAr, address, addressAr, timeZone, lat, lng, status, openingHours } = b;
  return { name, nameAr, address, addressAr, timeZone, lat, lng, status, openingHours };
}

export async function call<T = any>(path: string, token: string, body?: unknown, method = body === undefined ? 'GET' : 'POST', headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`${readState().baseURL}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

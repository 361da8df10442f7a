// The till's outbox: every order the till takes is written to IndexedDB, with its `clientRef`
// and `Idempotency-Key`, before it is shown as taken, then sent. When the server cannot be
// reached the order stays here and is sent later — in the order it was taken, one request at a
// time, with the same keys, also after the page was closed and opened again. The server places
// an order once per `clientRef`, so a replay that races a lost answer cannot duplicate it. A
// refusal (4xx) is kept with its reason for the staff to see; nothing is dropped silently.
import { createStore, del, get, set, values } from 'idb-keyval';
import { api, ApiError, unreachable, type Order, type TokenStore } from './api';

export { unreachable };

export type JobState = 'pending' | 'sent' | 'refused';

export interface Job {
  clientRef: string;
  key: string;
  /** The body of `POST /api/orders`, `clientRef` included. */
  body: Record<string, unknown> & { clientRef: string };
  /** Send the order to the kitchen once it is placed. */
  accept: boolean;
  /** Taken in this order on this till. */
  seq: number;
  takenAt: string;
  /** The number printed while offline: the till's own range (`<till>-<n>`). */
  offlineRef: string | null;
  staffId: string;
  staffName: string;
  /** Cash taken with the order. */
  cash: number;
  state: JobState;
  orderId?: string;
  number?: number;
  problem?: { status: number; code: string; detail: string };
  sentAt?: string;
}

let db: ReturnType<typeof createStore> | null = null;
const store = () => (db ??= createStore('sous-pos-outbox', 'jobs'));

const SEQ = 'sous:pos:outbox-seq';

async function nextSeq(): Promise<number> {
  const n = ((await get<number>(SEQ)) ?? 0) + 1;
  await set(SEQ, n);
  return n;
}

/** Every job this till holds, oldest first. */
export async function jobs(): Promise<Job[]> {
  const all = (await values<Job>(store())) as Job[];
  return all.sort((a, b) => a.seq - b.seq);
}

export async function save(job: Job): Promise<void> {
  await set(job.clientRef, job, store());
}

/** Writes a new order to the outbox (durably, before anything is shown) and answers it. */
export async function take(job: Omit<Job, 'seq' | 'state' | 'takenAt'> & { takenAt?: string }): Promise<Job> {
  const full: Job = { ...job, seq: await nextSeq(), state: 'pending', takenAt: job.takenAt ?? new Date().toISOString() };
  await save(full);
  return full;
}

/** Sends one job: places the order (the same key and `clientRef` every time), then sends it to
 *  the kitchen. A refusal is written to the job; an unreachable server is thrown. */
export async function send(job: Job, tokens: TokenStore): Promise<Job> {
  let order: Order;
  try {
    order = await api<Order>('/api/orders', { body: job.body, tokens, headers: { 'idempotency-key': job.key } });
  } catch (e) {
    if (unreachable(e)) throw e;
    const err = e as ApiError;
    const refused: Job = { ...job, state: 'refused', problem: { status: err.status, code: err.code, detail: err.messages().join(' ') } };
    await save(refused);
    return refused;
  }
  if (job.accept && order.status === 'placed') {
    try {
      await api(`/api/orders/${order.id}/status`, { body: { status: 'accepted' }, tokens });
    } catch (e) {
      // Another till (or an earlier replay) moved it on already: the kitchen has it.
      if (unreachable(e)) throw e;
    }
  }
  const sent: Job = { ...job, state: 'sent', orderId: order.id, number: order.number, sentAt: new Date().toISOString() };
  await save(sent);
  return sent;
}

/** Sends the pending jobs in the order they were taken, one at a time, and stops at the first
 *  one the server cannot be reached for. Tabs of the same till take turns (a Web Lock). */
export async function replay(tokens: TokenStore, progress?: (left: number) => void): Promise<{ sent: number; refused: number }> {
  const run = async () => {
    let sent = 0;
    let refused = 0;
    const pending = (await jobs()).filter((j) => j.state === 'pending');
    for (let i = 0; i < pending.length; i++) {
      progress?.(pending.length - i);
      const done = await send(pending[i]!, tokens);
      if (done.state === 'sent') sent++;
      else refused++;
    }
    progress?.(0);
    return { sent, refused };
  };
  const locks = typeof navigator !== 'undefined' ? (navigator as any).locks : undefined;
  return locks ? locks.request('sous-pos-outbox', run) : run();
}

/** Jobs of the last `days` days, for the offline report; older ones are forgotten. */
export async function prune(days = 2): Promise<void> {
  const cutoff = Date.now() - days * 86_400_000;
  for (const j of await jobs()) if (j.state === 'sent' && Date.parse(j.takenAt) < cutoff) await del(j.clientRef, store());
}

/** The next number of this till's offline range: `T<till number>-<n>`, the till's number at
 *  its branch being its own, so two tills offline at once never print the same number. A till
 *  registered before devices were numbered uses the random end of its id instead. */
export async function offlineRef(device: { id: string; number?: number }): Promise<string> {
  const key = `sous:pos:offline-n:${device.id}`;
  const n = ((await get<number>(key)) ?? 0) + 1;
  await set(key, n);
  return `${offlinePrefix(device)}-${n}`;
}

export function offlinePrefix(device: { id: string; number?: number }): string {
  return device.number ? `T${device.number}` : device.id.replace(/-/g, '').slice(-4).toUpperCase();
}

export interface ServerSummary {
  staffId: string;
  staffName: string;
  orders: number;
  cash: number;
  refused: Job[];
}

/** Per server: the orders and cash taken offline, and the ones the server refused. */
export function offlineReport(all: Job[]): ServerSummary[] {
  const by = new Map<string, ServerSummary>();
  for (const j of all.filter((x) => x.offlineRef)) {
    const s = by.get(j.staffId) ?? { staffId: j.staffId, staffName: j.staffName, orders: 0, cash: 0, refused: [] };
    s.orders++;
    if (j.state === 'refused') s.refused.push(j);
    else s.cash += j.cash;
    by.set(j.staffId, s);
  }
  return [...by.values()].sort((a, b) => a.staffName.localeCompare(b.staffName));
}

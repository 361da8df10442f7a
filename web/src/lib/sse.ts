// Following a channel of `/api/sse/{channel}`: a one-time ticket for each connection (an access
// token never goes into a URL), resume with `Last-Event-ID` so no event is missed across a drop,
// and exponential back-off with jitter between attempts. When the server cannot replay what was
// missed it sends `event: reset`, and the view re-reads its resource (`onReset`). fetch + eventsource-parser rather than
// EventSource, because EventSource cannot set `Last-Event-ID` on a new connection, and each
// connection needs a new ticket.
import { createParser } from 'eventsource-parser';
import { api, ApiError, type TokenStore } from './api';

export interface SousEvent {
  id: number;
  tenantId: string;
  branchId: string | null;
  channel: string;
  stream: string;
  type: string;
  payload: any;
  createdAt: string;
}

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface FollowOptions {
  channel: 'orders' | 'kitchen' | 'queue' | 'notifications' | 'inventory';
  params?: Record<string, string | undefined>;
  tokens: TokenStore;
  onEvent: (event: SousEvent) => void;
  /** The server could not replay what was missed (too far behind, or the event is gone): re-read
   *  what the view shows. Live events go on after it. */
  onReset?: (reason: string) => void;
  onState?: (state: LinkState, detail?: string) => void;
  /** Start after this event (e.g. kept from an earlier page). */
  lastEventId?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** Delay before attempt `n` (0-based): doubling from `min` up to `max`, with ±20 % jitter so a
 *  kitchen full of tablets does not reconnect in step after a restart. */
export function backoff(n: number, min = 500, max = 15_000, random = Math.random): number {
  const base = Math.min(max, min * 2 ** Math.min(n, 16));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export function streamUrl(channel: string, params: Record<string, string | undefined>, ticket: string) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  q.set('ticket', ticket);
  return `/api/sse/${channel}?${q}`;
}

/** Starts following; the returned function stops. */
export function follow(opts: FollowOptions): () => void {
  let stopped = false;
  let lastId = opts.lastEventId;
  let controller: AbortController | null = null;
  let attempt = 0;
  let serverRetry: number | undefined;

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const once = async (): Promise<'retry' | 'fatal'> => {
    let ticket: string;
    try {
      ticket = (await api<{ ticket: string }>('/api/sse/tickets', { method: 'POST', body: {}, tokens: opts.tokens })).ticket;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        opts.onState?.('closed', e.code);
        return 'fatal';
      }
      return 'retry';
    }
    controller = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastId !== undefined) headers['last-event-id'] = String(lastId);
    let res: Response;
    try {
      res = await fetch(streamUrl(opts.channel, opts.params ?? {}, ticket), { headers, signal: controller.signal });
    } catch {
      return 'retry';
    }
    if (!res.ok || !res.body) {
      // 403/404/422 will not get better by retrying; 401 (ticket used or expired) and 5xx may.
      if ([403, 404, 422].includes(res.status)) {
        opts.onState?.('closed', `http_${res.status}`);
        return 'fatal';
      }
      return 'retry';
    }
    attempt = 0;
    opts.onState?.('live');
    const parser = createParser({
      onEvent(msg) {
        if (msg.event === 'reset') {
          let reason = 'reset';
          try {
            reason = JSON.parse(msg.data).reason ?? reason;
          } catch {
            /* the reason is only informative */
          }
          opts.onReset?.(reason);
          return;
        }
        if (msg.id) lastId = Number(msg.id);
        try {
          opts.onEvent(JSON.parse(msg.data) as SousEvent);
        } catch {
          /* a malformed event is skipped, the stream goes on */
        }
      },
      onRetry(ms) {
        serverRetry = ms;
      },
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch {
      /* dropped: reconnect below */
    }
    return 'retry';
  };

  (async () => {
    opts.onState?.('connecting');
    while (!stopped) {
      const outcome = await once();
      if (stopped || outcome === 'fatal') break;
      opts.onState?.('reconnecting');
      const delay = Math.max(serverRetry && attempt === 0 ? Math.min(serverRetry, 1000) : 0, backoff(attempt, opts.minDelayMs, opts.maxDelayMs));
      attempt++;
      await sleep(delay);
    }
  })();

  return () => {
    stopped = true;
    controller?.abort();
    opts.onState?.('closed');
  };
}

import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoff, follow, streamUrl, type SousEvent } from '../../src/lib/sse';
import type { TokenStore } from '../../src/lib/api';

afterEach(() => vi.unstubAllGlobals());

const tokens: TokenStore = {
  get: () => ({ accessToken: 'x.eyJleHAiOjk5OTk5OTk5OTl9.y', refreshToken: 'r', expiresIn: 900, tokenType: 'Bearer' }),
  set: () => {},
};

function sse(chunks: string[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(new TextEncoder().encode(ch));
      c.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

const event = (id: number, type: string) =>
  `id: ${id}\ndata: ${JSON.stringify({ id, tenantId: 't', branchId: 'b', channel: 'orders', stream: 's', type, payload: {}, createdAt: '' })}\n\n`;

describe('lib/sse', () => {
  it('backs off exponentially within bounds, with jitter', () => {
    expect(backoff(0, 500, 15000, () => 0.5)).toBe(500);
    expect(backoff(3, 500, 15000, () => 0.5)).toBe(4000);
    expect(backoff(30, 500, 15000, () => 0.5)).toBe(15000);
    expect(backoff(0, 500, 15000, () => 0)).toBe(400);
    expect(backoff(0, 500, 15000, () => 1)).toBe(600);
  });

  it('puts the ticket and the scope in the stream URL', () => {
    expect(streamUrl('orders', { cartId: 'c1', branchId: undefined }, 'tk')).toBe('/api/sse/orders?cartId=c1&ticket=tk');
  });

  it('resumes after a drop with a new ticket and Last-Event-ID, missing nothing', async () => {
    const streams: { url: string; lastEventId?: string }[] = [];
    let tickets = 0;
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      if (url.endsWith('/api/sse/tickets')) return new Response(JSON.stringify({ ticket: `t${++tickets}`, expiresIn: 60 }), { status: 201 });
      const headers = init.headers as Record<string, string>;
      streams.push({ url, lastEventId: headers['last-event-id'] });
      // The first connection delivers two events and drops; the second the one after them.
      if (streams.length === 1) return sse([event(4, 'cart.line_added'), event(5, 'cart.line_added')]);
      if (streams.length === 2) return sse([event(6, 'cart.checked_out')]);
      return new Promise<Response>(() => {});
    }));
    const got: SousEvent[] = [];
    const states: string[] = [];
    const stop = follow({ channel: 'orders', params: { cartId: 'c1' }, tokens, onEvent: (e) => got.push(e), onState: (s) => states.push(s), minDelayMs: 1, maxDelayMs: 5 });
    await vi.waitFor(() => expect(got.map((e) => e.id)).toEqual([4, 5, 6]), { timeout: 2000 });
    stop();
    expect(streams[0]).toEqual({ url: '/api/sse/orders?cartId=c1&ticket=t1', lastEventId: undefined });
    expect(streams[1]).toEqual({ url: '/api/sse/orders?cartId=c1&ticket=t2', lastEventId: '5' });
    expect(states).toContain('reconnecting');
  });

  it('stops for good when the stream is forbidden', async () => {
    const fetchMock = vi.fn(async (url: string) =>
      url.endsWith('/api/sse/tickets') ? new Response(JSON.stringify({ ticket: 't' }), { status: 201 }) : new Response('{}', { status: 403 }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const states: string[] = [];
    follow({ channel: 'kitchen', tokens, onEvent: () => {}, onState: (s) => states.push(s), minDelayMs: 1 });
    await vi.waitFor(() => expect(states.at(-1)).toBe('closed'));
    await new Promise((r) => setTimeout(r, 30));
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('asks the view to re-read on a reset, and goes on with live events', async () => {
    let tickets = 0;
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/api/sse/tickets')) return new Response(JSON.stringify({ ticket: `t${++tickets}` }), { status: 201 });
      if (tickets === 1) return sse(['event: reset\ndata: {"reason":"too_far_behind"}\n\n', event(9, 'order.placed')]);
      return new Promise<Response>(() => {});
    }));
    const resets: string[] = [];
    const got: number[] = [];
    const stop = follow({ channel: 'orders', tokens, lastEventId: 3, onEvent: (e) => got.push(e.id), onReset: (r) => resets.push(r), minDelayMs: 1 });
    await vi.waitFor(() => expect(got).toEqual([9]), { timeout: 2000 });
    stop();
    expect(resets).toEqual(['too_far_behind']);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, refresh, secondsLeft, type TokenPair, type TokenStore } from '../../src/lib/api';

function jwt(exp: number): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256' })}.${b64({ sub: 'u1', exp })}.sig`;
}

function memory(pair: TokenPair | null): TokenStore & { value: TokenPair | null } {
  const s = { value: pair, get: () => s.value, set: (v: TokenPair | null) => (s.value = v) };
  return s;
}

const pair = (exp: number, refresh = 'r1'): TokenPair => ({ accessToken: jwt(exp), refreshToken: refresh, expiresIn: 900, tokenType: 'Bearer' });
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

// The browser calls the API on its own origin.
vi.stubEnv('SOUS_API_ORIGIN', '');
afterEach(() => vi.unstubAllGlobals());

describe('lib/api', () => {
  it('reads the seconds left on a token', () => {
    const now = 1_000_000_000_000;
    expect(secondsLeft(jwt(now / 1000 + 60), now)).toBe(60);
    expect(secondsLeft('garbage')).toBe(-1);
  });

  it('turns a problem into an ApiError with every message', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(422, { code: 'validation_failed', detail: 'bad', errors: { q: ['too short'], limit: ['too big'] } })));
    const err = (await api('/api/x').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe('validation_failed');
    expect(err.messages()).toEqual(['too short', 'too big']);
  });

  it('refreshes a token about to expire before the call', async () => {
    const tokens = memory(pair(Date.now() / 1000 + 5));
    const fresh = pair(Date.now() / 1000 + 900, 'r2');
    const calls: { url: string; auth?: string }[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ url, auth: (init.headers as Record<string, string>)?.authorization });
      return url.endsWith('/api/auth/refresh') ? json(200, fresh) : json(200, { ok: true });
    }));
    await api('/api/me', { tokens });
    expect(calls.map((c) => c.url)).toEqual(['/api/auth/refresh', '/api/me']);
    expect(calls[1]!.auth).toBe(`Bearer ${fresh.accessToken}`);
    expect(tokens.value?.refreshToken).toBe('r2');
  });

  it('retries once after a 401 with a refreshed token', async () => {
    const tokens = memory(pair(Date.now() / 1000 + 600));
    const fresh = pair(Date.now() / 1000 + 900, 'r2');
    let meCalls = 0;
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.endsWith('/api/auth/refresh')) return json(200, fresh);
      meCalls++;
      return meCalls === 1 ? json(401, { code: 'token_expired' }) : json(200, { ok: true });
    }));
    await expect(api('/api/me', { tokens })).resolves.toEqual({ ok: true });
    expect(meCalls).toBe(2);
  });

  it('shares one refresh between concurrent callers (a refresh token works once)', async () => {
    const tokens = memory(pair(0));
    const fetchMock = vi.fn(async () => {
      await new Promise((r) => setTimeout(r, 10));
      return json(200, pair(Date.now() / 1000 + 900, 'r2'));
    });
    vi.stubGlobal('fetch', fetchMock);
    const [a, b] = await Promise.all([refresh(tokens), refresh(tokens)]);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(a).toEqual(b);
  });

  it('forgets the session when the refresh token is refused', async () => {
    const tokens = memory(pair(0));
    vi.stubGlobal('fetch', vi.fn(async () => json(401, { code: 'refresh_token_reused' })));
    expect(await refresh(tokens)).toBeNull();
    expect(tokens.value).toBeNull();
  });

  it('recovers a cookie session after a reload: the header, no token in the body', async () => {
    let flag = true;
    const tokens: TokenStore & { value: TokenPair | null } = {
      value: null,
      slot: 'customer',
      get: () => tokens.value,
      set: (v) => ((tokens.value = v), (flag = !!v)),
      restorable: () => flag,
    };
    const { refreshToken: _, ...fresh } = pair(Date.now() / 1000 + 900);
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return url.endsWith('/api/auth/refresh') ? json(200, fresh) : json(200, { ok: true });
    }));
    await Promise.all([api('/api/me', { tokens }), api('/api/me', { tokens })]);
    expect(calls.map((c) => c.url).sort()).toEqual(['/api/auth/refresh', '/api/me', '/api/me']);
    const asked = calls.find((c) => c.url.endsWith('/refresh'))!.init;
    expect((asked.headers as Record<string, string>)['x-sous-session']).toBe('customer');
    expect(asked.body).toBe('{}');
    expect(tokens.value?.accessToken).toBe(fresh.accessToken);

    // A refused refresh ends it: nothing more to recover.
    tokens.value = null;
    vi.stubGlobal('fetch', vi.fn(async () => json(401, { code: 'invalid_refresh_token' })));
    await expect(refresh(tokens)).resolves.toBeNull();
    expect(tokens.restorable!()).toBe(false);
    const none = vi.fn();
    vi.stubGlobal('fetch', none);
    expect(await refresh(tokens)).toBeNull();
    expect(none).not.toHaveBeenCalled();
  });
});

import { describe, expect, it } from 'vitest';
import { offlinePrefix, offlineReport, type Job } from '../../src/lib/outbox';
import { ApiError, unreachable } from '../../src/lib/api';

const job = (over: Partial<Job>): Job => ({
  clientRef: crypto.randomUUID(), key: 'k', body: { clientRef: 'x' }, accept: true, seq: 1, takenAt: '2026-12-07T20:00:00Z',
  offlineRef: 'AB12-1', staffId: 's1', staffName: 'Demo Cashier', cash: 1000, state: 'sent', ...over,
});

describe('the till outbox', () => {
  it('tells a server that was not reached from one that refused', () => {
    expect(unreachable(new TypeError('Failed to fetch'))).toBe(true);
    expect(unreachable(new ApiError(503, 'unavailable', undefined, undefined))).toBe(true);
    expect(unreachable(new ApiError(429, 'too_many', undefined, undefined))).toBe(true);
    expect(unreachable(new ApiError(422, 'validation_failed', undefined, undefined))).toBe(false);
    expect(unreachable(new ApiError(409, 'order_in_flight', undefined, undefined))).toBe(false);
  });

  it('reports per server the orders and cash taken offline and the refused ones', () => {
    const report = offlineReport([
      job({ cash: 1000 }),
      job({ cash: 2500, state: 'pending' }),
      job({ cash: 700, state: 'refused', problem: { status: 422, code: 'validation_failed', detail: 'sold out' } }),
      job({ staffId: 's2', staffName: 'Aisha', cash: 300 }),
      job({ staffId: 's2', staffName: 'Aisha', offlineRef: null, cash: 9999 }),
    ]);
    expect(report.map((r) => [r.staffName, r.orders, r.cash, r.refused.length])).toEqual([
      ['Aisha', 1, 300, 0],
      ['Demo Cashier', 3, 3500, 1],
    ]);
  });
});

describe('offline numbers', () => {
  it('carry the till number of the branch, so two tills never share a prefix', () => {
    // Devices registered the same month share the start of a time-ordered id, not a number.
    const a = { id: '019afc2e-1111-7000-8000-00000000a1b2', number: 1 };
    const b = { id: '019afc2e-2222-7000-8000-00000000c3d4', number: 2 };
    expect(offlinePrefix(a)).toBe('T1');
    expect(offlinePrefix(b)).toBe('T2');
    expect(offlinePrefix({ id: a.id })).toBe('A1B2');
  });
});

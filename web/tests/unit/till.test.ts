import { describe, expect, it } from 'vitest';
import { addToCheck, changeQuantity, checkTotal, editLine, itemCount, matches, orderLines, quickAmounts, repeatLine, seatsOf, type CheckLine } from '../../src/lib/till';
import type { Menu, MenuItem } from '../../src/lib/api';

const size = { id: 'g-size', name: 'Size', nameAr: 'الحجم', required: true, minSelect: 1, maxSelect: 1, options: [
  { id: 'o-reg', name: 'Regular', nameAr: 'عادي', priceDelta: 0, default: true, soldOut: false },
  { id: 'o-lg', name: 'Large', nameAr: 'كبير', priceDelta: 500, default: false, soldOut: false },
] };
const menu = { currency: 'SAR', menus: [], modifierGroups: [size] } as unknown as Menu;
const burger = { id: 'i-burger', name: 'Burger', nameAr: 'برجر', price: 2500, modifierGroupIds: ['g-size'] } as unknown as MenuItem;
const tea = { id: 'i-tea', name: 'Karak Tea', nameAr: 'شاي كرك', price: 400 } as unknown as MenuItem;

describe('the check at the till', () => {
  it('adds the same choice for the same seat and course to one line, anything else to a new one', () => {
    let lines: CheckLine[] = [];
    lines = addToCheck(lines, menu, burger, { options: ['o-lg'], seat: 1, course: 1 });
    lines = addToCheck(lines, menu, burger, { options: ['o-lg'], seat: 1, course: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.quantity).toBe(2);
    expect(lines[0]!.unitPrice).toBe(3000);
    expect(lines[0]!.optionNames).toEqual([{ name: 'Large', nameAr: 'كبير' }]);
    lines = addToCheck(lines, menu, burger, { options: ['o-lg'], seat: 2, course: 1 });
    lines = addToCheck(lines, menu, burger, { options: ['o-reg'], seat: 1, course: 1 });
    lines = addToCheck(lines, menu, tea, { seat: 1, course: 2 });
    expect(lines).toHaveLength(4);
    expect(itemCount(lines)).toBe(5);
    expect(checkTotal(lines)).toBe(2 * 3000 + 3000 + 2500 + 400);
  });

  it('drops a line whose quantity reaches zero and merges an edited line into its twin', () => {
    let lines = addToCheck([], menu, tea, { seat: 1, course: null });
    lines = addToCheck(lines, menu, tea, { seat: 2, course: null });
    lines = editLine(lines, lines[1]!.key, { seat: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.quantity).toBe(2);
    lines = changeQuantity(lines, lines[0]!.key, -2);
    expect(lines).toEqual([]);
  });

  it('repeats a dish for the next seat', () => {
    let lines = addToCheck([], menu, burger, { options: ['o-reg'], seat: 1, course: 1 });
    lines = repeatLine(lines, lines[0]!.key);
    lines = repeatLine(lines, lines[1]!.key);
    expect(seatsOf(lines)).toEqual([1, 2, 3]);
    const shared = addToCheck([], menu, tea, { seat: null, course: null });
    expect(repeatLine(shared, shared[0]!.key)[0]!.quantity).toBe(2);
  });

  it('sends only what the order API takes', () => {
    const lines = addToCheck(addToCheck([], menu, burger, { options: ['o-lg'], seat: 3, course: 2, notes: 'no onion' }), menu, tea, { seat: null, course: null });
    expect(orderLines(lines)).toEqual([
      { productId: 'i-burger', options: ['o-lg'], quantity: 1, notes: 'no onion', seat: 3, course: 2 },
      { productId: 'i-tea', options: [], quantity: 1 },
    ]);
  });

  it('offers the exact amount and the next round amounts and notes as quick cash', () => {
    expect(quickAmounts(2350)).toEqual([2350, 2400, 2500, 3000, 5000]);
    expect(quickAmounts(5000)).toEqual([5000, 10000, 20000, 50000]);
    expect(quickAmounts(0)).toEqual([]);
  });

  it('finds items by either language, ignoring case and Arabic diacritics', () => {
    expect(matches(tea, 'KARAK')).toBe(true);
    expect(matches(tea, 'شاي')).toBe(true);
    expect(matches({ name: 'x', nameAr: 'شَاي' }, 'شاي')).toBe(true);
    expect(matches(tea, 'burger')).toBe(false);
    expect(matches(tea, '  ')).toBe(true);
  });
});

describe('counting the drawer', () => {
  it('knows the Saudi and Emirati notes and coins and adds a count up', async () => {
    const { denominations, countTotal } = await import('../../src/lib/till');
    expect(denominations('SAR').notes[0]).toBe(50000);
    expect(denominations('AED').notes).toContain(100000);
    expect(denominations('SAR').coins).toContain(50);
    expect(countTotal({ 50000: 1, 1000: 3, 50: 2, 25: -1 })).toBe(50000 + 3000 + 100);
  });
});

describe('discounts, promo codes and tips at the till', () => {
  it('takes line discounts first, then the order discount on what is left, and asks a manager above 50.00', async () => {
    const { addToCheck, editLine, discountTotal, checkTotal, needsApproval, adjustmentFields, orderLines } = await import('../../src/lib/till');
    let lines = addToCheck([], menu, burger, { options: ['o-reg'], seat: null, course: null, quantity: 4 });
    lines = editLine(lines, lines[0]!.key, { discountBp: 1000 });
    expect(discountTotal(lines)).toBe(1000);
    const adj = { reason: 'Complaint', percentBp: 5000, tip: 500 };
    expect(discountTotal(lines, adj)).toBe(1000 + 4500);
    expect(checkTotal(lines, adj)).toBe(10000 - 5500 + 500);
    expect(needsApproval(lines, adj, 'cashier')).toBe(true);
    expect(needsApproval(lines, adj, 'manager')).toBe(false);
    expect(needsApproval(lines, { reason: 'x', amount: 100 }, 'cashier')).toBe(false);
    expect(adjustmentFields({ ...adj, promoCode: ' WELCOME ' }, '2222')).toEqual({
      discounts: [{ percentBp: 5000, label: 'Complaint' }], promoCode: 'WELCOME', tip: 500, managerPin: '2222',
    });
    expect(orderLines(lines, 'Complaint')[0]!.discounts).toEqual([{ percentBp: 1000, label: 'Complaint' }]);
    expect(discountTotal(lines, { reason: 'x', amount: 999_999 })).toBe(10000);
  });
});

describe('the floor plan', () => {
  it('lists the areas, sizes the plan to its tables and keeps a dragged table on it', async () => {
    const { areasOf, planHeight, moved } = await import('../../src/components/react/pos/floor-plan');
    expect(areasOf([{ floorArea: 'Hall' }, { floorArea: null }, { floorArea: 'Hall' }, { floorArea: 'Terrace' }])).toEqual(['Hall', '', 'Terrace']);
    expect(planHeight([{ y: 100, height: 80 }])).toBe(500);
    expect(planHeight([{ y: 600, height: 100 }])).toBe(740);
    const t = { x: 900, y: 10, width: 80, height: 80 };
    expect(moved(t, 50, -30)).toEqual({ x: 920, y: 0, width: 80, height: 80 });
    expect(moved(t, -1000, 2000)).toEqual({ x: 0, y: 920, width: 80, height: 80 });
  });

  it('lets a till offline add only to tables it opened itself', async () => {
    const { mayAddOffline } = await import('../../src/components/react/pos/floor-plan');
    const floor = [
      { label: 'T1', session: { deviceId: 'till-a' } as any },
      { label: 'T2', session: { deviceId: null } as any },
      { label: 'T3', session: null },
    ];
    expect(mayAddOffline(floor, 't1', 'till-a')).toBe(true);
    expect(mayAddOffline(floor, 'T1', 'till-b')).toBe(false);
    expect(mayAddOffline(floor, 'T2', 'till-b')).toBe(true);
    expect(mayAddOffline(floor, 'T3', 'till-b')).toBe(true);
    expect(mayAddOffline(floor, 'P9', 'till-b')).toBe(true);
  });
});

describe('stock events', () => {
  it('greys one item of the menu and leaves the rest as it was', async () => {
    const { withStock } = await import('../../src/lib/till');
    const m = { currency: 'SAR', modifierGroups: [], menus: [{ categories: [{ items: [{ id: 'a', soldOut: false }, { id: 'b', soldOut: false }] }] }] } as unknown as Menu;
    const after = withStock(m, 'a', true);
    expect(after.menus[0]!.categories[0]!.items.map((i) => i.soldOut)).toEqual([true, false]);
    expect(m.menus[0]!.categories[0]!.items[0]!.soldOut).toBe(false);
  });
});

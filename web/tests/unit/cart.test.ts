import { describe, expect, it } from 'vitest';
import { isNewer, selectionProblems, unitPrice } from '../../src/stores/cart';
import type { Cart, MenuItem, ModifierGroup } from '../../src/lib/api';
import type { SousEvent } from '../../src/lib/sse';

const size: ModifierGroup = {
  id: 'g-size', name: 'Drink size', nameAr: 'حجم المشروب', minSelect: 1, maxSelect: 1, required: true,
  options: [
    { id: 'small', name: 'Small', nameAr: 'صغير', priceDelta: 0, default: true, itemId: null, soldOut: false },
    { id: 'large', name: 'Large', nameAr: 'كبير', priceDelta: 300, default: false, itemId: null, soldOut: false },
  ],
} as ModifierGroup;
const extras: ModifierGroup = {
  id: 'g-extra', name: 'Extras', nameAr: 'إضافات', minSelect: 0, maxSelect: 2, required: false,
  options: ['a', 'b', 'c'].map((id) => ({ id, name: id, nameAr: id, priceDelta: 100, default: false, itemId: null, soldOut: false })),
} as ModifierGroup;
const tea = { id: 'tea', name: 'Karak', nameAr: 'كرك', price: 800, modifierGroupIds: ['g-size', 'g-extra'] } as MenuItem;

describe('stores/cart', () => {
  it('names every group whose choice is not allowed, in the page language', () => {
    expect(selectionProblems('en', tea, [size, extras], [])).toEqual(['Choose 1 for “Drink size”.']);
    expect(selectionProblems('ar', tea, [size, extras], [])).toEqual(['اختر ١ من «حجم المشروب».']);
    expect(selectionProblems('en', tea, [size, extras], ['small', 'a', 'b', 'c'])).toEqual(['Choose at most 2 for “Extras”.']);
    expect(selectionProblems('en', tea, [size, extras], ['large', 'a'])).toEqual([]);
  });

  it('prices a unit with its options', () => {
    expect(unitPrice(tea, [size, extras], ['large', 'a'])).toBe(1200);
    expect(unitPrice(tea, [size, extras], [])).toBe(800);
  });

  it('reloads only for newer changes of this cart', () => {
    const cart = { id: 'c1', version: 3 } as Cart;
    const ev = (type: string, cartId: string, version: number) => ({ type, payload: { cartId, version } }) as unknown as SousEvent;
    expect(isNewer(cart, ev('cart.line_added', 'c1', 4))).toBe(true);
    expect(isNewer(cart, ev('cart.line_added', 'c1', 3))).toBe(false);
    expect(isNewer(cart, ev('cart.line_added', 'c2', 9))).toBe(false);
    expect(isNewer(cart, ev('order.placed', 'c1', 9))).toBe(false);
    expect(isNewer(null, ev('cart.line_added', 'c1', 9))).toBe(false);
  });
});

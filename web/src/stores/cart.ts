// The cart: the table's shared cart (or the website's own), kept current by the cart's events,
// and what the guest picked from the menu, which the Cart island turns into a line. The cart id
// is persisted so a reload finds the same cart.
import { atom } from 'nanostores';
import { persistentAtom } from '@nanostores/persistent';
import { api, idempotencyKey, type Cart, type CartLine, type MenuItem, type ModifierGroup, type Order, type TokenStore } from '../lib/api';
import type { SousEvent } from '../lib/sse';
import { t, pick, type Lang } from '../i18n';

export const cart = atom<Cart | null>(null);
/** The item the guest chose in the menu or the search, waiting for its options. */
export const picked = atom<string | null>(null);
/** The open web cart per branch and type (`branchId:type` → cart id). */
export const webCartIds = persistentAtom<Record<string, string>>('sous:carts', {}, {
  encode: JSON.stringify,
  decode: (s) => {
    try {
      return JSON.parse(s);
    } catch {
      return {};
    }
  },
});

/** What the guest's website cart of each branch holds (branch id → count, items total, type), so
 *  the browse menu, which loads no cart, can show the cart bar. Nothing secret: no ids. */
export interface CartSummary {
  count: number;
  total: number;
  currency: string;
  type: 'pickup' | 'delivery';
}
export const cartSummaries = persistentAtom<Record<string, CartSummary>>('sous:cart-summary', {}, {
  encode: JSON.stringify,
  decode: (s) => {
    try {
      return JSON.parse(s);
    } catch {
      return {};
    }
  },
});

export interface LineInput {
  productId: string;
  options: string[];
  quantity: number;
  notes?: string;
}

/** What is wrong with a choice of options, one message per group, in the page's language. */
export function selectionProblems(lang: Lang, item: MenuItem, groups: ModifierGroup[], chosen: string[]): string[] {
  const tr = t(lang);
  const out: string[] = [];
  for (const gid of item.modifierGroupIds ?? []) {
    const g = groups.find((x) => x.id === gid);
    if (!g) continue;
    const n = g.options.filter((o) => chosen.includes(o.id)).length;
    const name = pick(lang, g.name, g.nameAr);
    if (g.minSelect === g.maxSelect && n !== g.minSelect) out.push(tr.chooseExactly(g.minSelect, name));
    else if (n < g.minSelect) out.push(tr.chooseAtLeast(g.minSelect, name));
    else if (n > g.maxSelect) out.push(tr.chooseAtMost(g.maxSelect, name));
  }
  return out;
}

/** The same problems by modifier group (group id → message), to show each next to its group. */
export function groupProblems(lang: Lang, item: MenuItem, groups: ModifierGroup[], chosen: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const gid of item.modifierGroupIds ?? []) {
    const g = groups.find((x) => x.id === gid);
    if (!g) continue;
    const [problem] = selectionProblems(lang, { ...item, modifierGroupIds: [gid] }, [g], chosen);
    if (problem) out.set(gid, problem);
  }
  return out;
}

/** The price of one unit with the chosen options. */
export function unitPrice(item: MenuItem, groups: ModifierGroup[], chosen: string[]): number {
  let total = item.price;
  for (const g of groups) for (const o of g.options) if (chosen.includes(o.id)) total += o.priceDelta;
  return Math.max(0, total);
}

/** Whether an event should make the cart reload: a change to this cart that is newer than what
 *  is shown (the event carries the cart's new version). */
export function isNewer(current: Cart | null, ev: SousEvent): boolean {
  if (!current || !ev.type.startsWith('cart.')) return false;
  if (ev.payload?.cartId !== current.id) return false;
  const v = ev.payload?.version;
  return typeof v !== 'number' || v > current.version;
}

export async function reload(tokens: TokenStore): Promise<Cart | null> {
  const current = cart.get();
  if (!current) return null;
  const fresh = await api<Cart>(`/api/carts/${current.id}`, { tokens });
  // Two reloads may cross: never go back to an older version.
  if (!cart.get() || fresh.version >= (cart.get()?.version ?? 0)) cart.set(fresh);
  return fresh;
}

export async function addLine(tokens: TokenStore, line: LineInput): Promise<Cart> {
  const c = cart.get()!;
  const fresh = await api<Cart>(`/api/carts/${c.id}/lines`, { body: line, tokens });
  cart.set(fresh);
  return fresh;
}

/** A line with a new quantity (the API replaces a line whole: same item, options and note). */
export async function setQuantity(tokens: TokenStore, line: CartLine, quantity: number): Promise<Cart> {
  const c = cart.get()!;
  const fresh = await api<Cart>(`/api/carts/${c.id}/lines/${line.id}`, {
    method: 'PUT',
    body: { ...lineRequest(line), quantity },
    tokens,
  });
  cart.set(fresh);
  return fresh;
}

/** What a line was ordered as, to send it again (to another cart, or with a new quantity). */
export function lineRequest(line: CartLine): LineInput & { slots?: unknown[] } {
  const sel = (line.selection ?? {}) as { options?: string[]; slots?: unknown[] };
  return {
    productId: line.productId,
    options: sel.options ?? [],
    ...(sel.slots?.length ? { slots: sel.slots } : {}),
    quantity: line.quantity,
    ...(line.notes ? { notes: line.notes } : {}),
  };
}

/** The chosen options of a line by name (the cart's description of its selection), combo
 *  choices included. */
export function lineOptions(lang: Lang, line: CartLine): string[] {
  const d = (line.details ?? null) as null | {
    options?: { name: string; nameAr?: string | null }[];
    slots?: { itemName: string; itemNameAr?: string | null; options?: { name: string; nameAr?: string | null }[] }[];
  };
  if (!d) return [];
  const out = (d.options ?? []).map((o) => pick(lang, o.name, o.nameAr));
  for (const s of d.slots ?? []) {
    out.push(pick(lang, s.itemName, s.itemNameAr));
    for (const o of s.options ?? []) out.push(pick(lang, o.name, o.nameAr));
  }
  return out;
}

/** Moves the open lines of one of the caller's carts into another (switching between pickup
 *  and delivery keeps what was chosen: a cart's type is fixed when it is opened). Each line is
 *  added to the new cart before it leaves the old one, so a failure halfway loses nothing. */
export async function moveLines(tokens: TokenStore, from: Cart, to: Cart): Promise<Cart> {
  let fresh = to;
  for (const line of from.lines.filter((l) => !l.orderId)) {
    fresh = await api<Cart>(`/api/carts/${to.id}/lines`, { body: lineRequest(line), tokens });
    await api<Cart>(`/api/carts/${from.id}/lines/${line.id}`, { method: 'DELETE', tokens });
  }
  return fresh;
}

export async function removeLine(tokens: TokenStore, lineId: string): Promise<Cart> {
  const c = cart.get()!;
  const fresh = await api<Cart>(`/api/carts/${c.id}/lines/${lineId}`, { method: 'DELETE', tokens });
  cart.set(fresh);
  return fresh;
}

export async function checkout(tokens: TokenStore, body: { tip?: number; notes?: string; contactPhone?: string; delivery?: DeliveryAddress }): Promise<Order> {
  const c = cart.get()!;
  const clean: Record<string, unknown> = {};
  if (body.tip) clean.tip = body.tip;
  if (body.notes) clean.notes = body.notes;
  if (body.contactPhone) clean.contactPhone = body.contactPhone;
  if (body.delivery) clean.delivery = body.delivery;
  return api<Order>(`/api/carts/${c.id}/checkout`, {
    body: clean,
    tokens,
    headers: { 'idempotency-key': idempotencyKey() },
  });
}

/** Where a delivery order goes: what the order carries (`delivery` of the checkout). */
export interface DeliveryAddress {
  address: string;
  notes?: string;
  lat: number;
  lng: number;
}

/** The website's delivery address check: null until checked (and again after the address
 *  changed). When `ok`, the zone's terms and the address the quote was for. */
export interface DeliveryCheckResult {
  ok: boolean;
  message: string;
  fee?: number;
  minimumOrder?: number;
  etaMinutes?: number;
  to?: DeliveryAddress;
}
export const delivery = atom<DeliveryCheckResult | null>(null);

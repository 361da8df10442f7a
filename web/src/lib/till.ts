// The check being rung up at the till, before it is sent: pure functions over a list of lines, so
// a tap changes the check without a round trip and the same rules hold online and offline. The
// server prices the order again when it is placed; what it answers is what is charged.
import type { Menu, MenuItem } from './api';

export interface CheckLine {
  /** Stable while the line is on the check (React key, quantity changes). */
  key: string;
  productId: string;
  name: string;
  nameAr?: string | null;
  options: string[];
  /** The chosen options' names, for the check and the kitchen. */
  optionNames: { name: string; nameAr?: string | null }[];
  unitPrice: number;
  quantity: number;
  seat: number | null;
  course: number | null;
  notes: string;
  /** A discount on this line, in basis points of its amount (0: none). */
  discountBp?: number;
  /** A combo's choice per slot (the chosen item and its options). */
  slots?: { slotId: string; itemId: string; options: string[] }[];
}

/** What is taken off or added to the whole order at the till. */
export interface Adjustments {
  /** The order's discount: a percentage in basis points, or an amount. */
  percentBp?: number;
  amount?: number;
  /** Why (printed and audited); also the label of line discounts. */
  reason: string;
  promoCode?: string;
  tip?: number;
}

/** Above this much discount on one order (line and order discounts together, minor units) a
 *  manager approves; the server holds the same threshold. */
export const APPROVAL_ABOVE = 5_000;

export type OrderKind = 'dine_in' | 'takeaway' | 'pickup' | 'delivery';

export const MAX_QUANTITY = 999;

let counter = 0;
const newKey = () => `l${Date.now().toString(36)}${(counter++).toString(36)}`;

/** The price of one unit with the chosen options (the menu's rule: deltas add, never below 0). */
export function priceOf(menu: Menu, item: MenuItem, options: string[]): number {
  let total = item.price;
  for (const g of menu.modifierGroups) for (const o of g.options) if (options.includes(o.id)) total += o.priceDelta;
  return Math.max(0, total);
}

function sameLine(a: CheckLine, b: Omit<CheckLine, 'key' | 'quantity'>): boolean {
  return (
    a.productId === b.productId &&
    a.seat === b.seat &&
    a.course === b.course &&
    a.notes === b.notes &&
    (a.discountBp ?? 0) === (b.discountBp ?? 0) &&
    JSON.stringify(a.slots ?? []) === JSON.stringify(b.slots ?? []) &&
    a.options.length === b.options.length &&
    a.options.every((o) => b.options.includes(o))
  );
}

/** Adds an item: the same item with the same choices, seat, course and note adds to its line. */
export function addToCheck(
  lines: CheckLine[],
  menu: Menu,
  item: MenuItem,
  pick: { options?: string[]; quantity?: number; notes?: string; seat: number | null; course: number | null },
): CheckLine[] {
  const options = pick.options ?? [];
  const optionNames = menu.modifierGroups.flatMap((g) => g.options.filter((o) => options.includes(o.id)).map((o) => ({ name: o.name, nameAr: o.nameAr })));
  const line = {
    productId: item.id,
    name: item.name,
    nameAr: item.nameAr,
    options,
    optionNames,
    unitPrice: priceOf(menu, item, options),
    seat: pick.seat,
    course: pick.course,
    notes: pick.notes ?? '',
  };
  const quantity = Math.max(1, pick.quantity ?? 1);
  const i = lines.findIndex((l) => sameLine(l, line));
  if (i >= 0) return lines.map((l, j) => (j === i ? { ...l, quantity: Math.min(MAX_QUANTITY, l.quantity + quantity) } : l));
  return [...lines, { ...line, key: newKey(), quantity }];
}

type Combo = Menu['menus'][number]['categories'][number]['combos'][number];

/** The options an item takes when nothing is chosen: the defaults of its groups that need one. */
export function defaultOptions(menu: Menu, itemId: string): string[] {
  const item = menu.menus.flatMap((m) => m.categories).flatMap((c) => c.items).find((i) => i.id === itemId);
  return (item?.modifierGroupIds ?? []).flatMap((gid) => {
    const g = menu.modifierGroups.find((x) => x.id === gid);
    if (!g || g.minSelect === 0) return [];
    return g.options.filter((o) => o.default && !o.soldOut).slice(0, g.maxSelect).map((o) => o.id);
  });
}

/** Adds a combo with a choice for each slot (`choices`: slot id → item id). Its price is the
 *  combo's, plus each choice's upcharge and the options the chosen items take. */
export function addCombo(
  lines: CheckLine[],
  menu: Menu,
  combo: Combo,
  choices: Record<string, string>,
  pick: { seat: number | null; course: number | null },
): CheckLine[] {
  const slots = combo.slots.map((s) => ({ slotId: s.id, itemId: choices[s.id]!, options: defaultOptions(menu, choices[s.id]!) }));
  const chosen = combo.slots.map((s) => s.choices.find((c) => c.itemId === choices[s.id])!);
  const optionDelta = slots
    .flatMap((s) => s.options)
    .reduce((sum, id) => sum + (menu.modifierGroups.flatMap((g) => g.options).find((o) => o.id === id)?.priceDelta ?? 0), 0);
  const line = {
    productId: combo.id,
    name: combo.name,
    nameAr: combo.nameAr,
    options: [],
    optionNames: chosen.map((c) => ({ name: c.name, nameAr: c.nameAr })),
    unitPrice: combo.price + chosen.reduce((sum, c) => sum + c.priceDelta, 0) + optionDelta,
    seat: pick.seat,
    course: pick.course,
    notes: '',
    slots,
  };
  const i = lines.findIndex((l) => sameLine(l, line));
  if (i >= 0) return lines.map((l, j) => (j === i ? { ...l, quantity: Math.min(MAX_QUANTITY, l.quantity + 1) } : l));
  return [...lines, { ...line, key: newKey(), quantity: 1 }];
}

/** Changes a line's quantity by `delta`; a line that reaches zero leaves the check. */
export function changeQuantity(lines: CheckLine[], key: string, delta: number): CheckLine[] {
  return lines
    .map((l) => (l.key === key ? { ...l, quantity: Math.min(MAX_QUANTITY, l.quantity + delta) } : l))
    .filter((l) => l.quantity > 0);
}

/** Changes what a line is for (seat, course, note), merging it into an identical line. */
export function editLine(lines: CheckLine[], key: string, change: Partial<Pick<CheckLine, 'seat' | 'course' | 'notes' | 'discountBp'>>): CheckLine[] {
  const line = lines.find((l) => l.key === key);
  if (!line) return lines;
  const edited = { ...line, ...change };
  const twin = lines.find((l) => l.key !== key && sameLine(l, edited));
  if (!twin) return lines.map((l) => (l.key === key ? edited : l));
  return lines
    .filter((l) => l.key !== key)
    .map((l) => (l.key === twin.key ? { ...l, quantity: Math.min(MAX_QUANTITY, l.quantity + edited.quantity) } : l));
}

/** The same dish again for the next seat (or once more when the line has no seat). */
export function repeatLine(lines: CheckLine[], key: string, seats = 100): CheckLine[] {
  const line = lines.find((l) => l.key === key);
  if (!line) return lines;
  if (!line.seat) return changeQuantity(lines, key, 1);
  const copy = { ...line, key: newKey(), quantity: 1, seat: Math.min(seats, line.seat + 1) };
  const twin = lines.find((l) => sameLine(l, copy));
  if (twin) return changeQuantity(lines, twin.key, 1);
  return [...lines, copy];
}

/** What a line's own discount takes off (rounded half up, as the server prices it). */
export function lineDiscount(l: CheckLine): number {
  return l.discountBp ? Math.round((l.unitPrice * l.quantity * l.discountBp) / 10_000) : 0;
}

/** The discounts of the check as the till estimates them: the lines' own, then the order's on
 *  what is left, never more than the check. */
export function discountTotal(lines: CheckLine[], adj?: Adjustments): number {
  const gross = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
  const onLines = lines.reduce((sum, l) => sum + lineDiscount(l), 0);
  const left = gross - onLines;
  const onOrder = adj?.percentBp ? Math.round((left * adj.percentBp) / 10_000) : Math.min(left, adj?.amount ?? 0);
  return Math.min(gross, onLines + onOrder);
}

/** What the check comes to before the server prices it (a service charge is the server's). */
export function checkTotal(lines: CheckLine[], adj?: Adjustments): number {
  const gross = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
  return gross - discountTotal(lines, adj) + (adj?.tip ?? 0);
}

/** Whether the discounts need a manager's approval. */
export function needsApproval(lines: CheckLine[], adj: Adjustments | undefined, role: string): boolean {
  return !['owner', 'manager'].includes(role) && discountTotal(lines, adj) > APPROVAL_ABOVE;
}

/** The order-level fields of `POST /api/orders` for the adjustments. */
export function adjustmentFields(adj: Adjustments | undefined, managerPin?: string) {
  if (!adj) return {};
  const discount = adj.percentBp ? { percentBp: adj.percentBp } : adj.amount ? { amount: adj.amount } : null;
  return {
    ...(discount ? { discounts: [{ ...discount, label: adj.reason }] } : {}),
    ...(adj.promoCode?.trim() ? { promoCode: adj.promoCode.trim() } : {}),
    ...(adj.tip ? { tip: adj.tip } : {}),
    ...(managerPin ? { managerPin } : {}),
  };
}

export function itemCount(lines: CheckLine[]): number {
  return lines.reduce((n, l) => n + l.quantity, 0);
}

/** Cash a guest is likely to hand over for `due` (minor units): the exact amount, then the
 *  next round amounts and notes above it, at most five, ascending. `unit` is the currency's
 *  minor units per major unit (100 for SAR and AED). */
export function quickAmounts(due: number, unit = 100, notes = [5, 10, 20, 50, 100, 200, 500]): number[] {
  if (due <= 0) return [];
  const out = new Set<number>([due]);
  const ceilTo = (step: number) => Math.ceil(due / step) * step;
  for (const step of [unit, 5 * unit, 10 * unit]) {
    const v = ceilTo(step);
    if (v > due) out.add(v);
  }
  for (const n of notes.map((x) => x * unit)) if (n > due) out.add(n);
  return [...out].sort((a, b) => a - b).slice(0, 5);
}

/** The lines as `POST /api/orders` takes them; a line discount carries the reason as its label. */
export function orderLines(lines: CheckLine[], reason = 'Discount') {
  return lines.map((l) => ({
    productId: l.productId,
    options: l.options,
    quantity: l.quantity,
    ...(l.notes ? { notes: l.notes } : {}),
    ...(l.seat ? { seat: l.seat } : {}),
    ...(l.course ? { course: l.course } : {}),
    ...(l.discountBp ? { discounts: [{ percentBp: l.discountBp, label: reason }] } : {}),
    ...(l.slots ? { slots: l.slots } : {}),
  }));
}

/** The seats on a check, ascending (lines for the table as a whole have none). */
export function seatsOf(lines: { seat?: number | null }[]): number[] {
  return [...new Set(lines.map((l) => l.seat).filter((s): s is number => !!s))].sort((a, b) => a - b);
}

/** Items matching a search, by either language's name, case- and accent-insensitive. */
export function matches(item: { name: string; nameAr?: string | null }, query: string): boolean {
  const q = fold(query.trim());
  if (!q) return true;
  return fold(item.name).includes(q) || fold(item.nameAr ?? '').includes(q);
}

function fold(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f\u064b-\u0652]/g, '')
    .toLowerCase();
}

/** The notes and coins of a currency, largest first, in minor units. */
export function denominations(currency: string): { notes: number[]; coins: number[] } {
  switch (currency) {
    case 'AED':
      return { notes: [100000, 50000, 20000, 10000, 5000, 2000, 1000, 500], coins: [100, 50, 25] };
    case 'SAR':
    default:
      return { notes: [50000, 20000, 10000, 5000, 1000, 500], coins: [200, 100, 50, 25, 10, 5] };
  }
}

/** What a count by denomination adds up to (counts per minor-unit value). */
export function countTotal(counts: Record<number, number>): number {
  return Object.entries(counts).reduce((sum, [value, n]) => sum + Number(value) * (Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0), 0);
}

/** The menu with one item sold out (or back) as the branch's stock event says, before the next
 *  read of the menu confirms it. */
export function withStock(menu: Menu, itemId: string, soldOut: boolean): Menu {
  return {
    ...menu,
    menus: menu.menus.map((m) => ({
      ...m,
      categories: m.categories.map((c) => ({
        ...c,
        items: c.items.map((i) => (i.id === itemId ? { ...i, soldOut } : i)),
      })),
    })),
  };
}

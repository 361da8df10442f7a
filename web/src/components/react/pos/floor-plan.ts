// The floor as the till reads it (`GET /api/branches/{id}/floor`) and the geometry of drawing it:
// tables stand on a plan 1000 units wide, drawn to the width of the screen and as tall as the
// area's tables reach. The last floor read is kept on the till for when the server is out of reach.
import { get, set } from 'idb-keyval';
export type TableState = 'free' | 'seated' | 'ordered' | 'food_ready' | 'check_printed' | 'paid';

export interface FloorTable {
  id: string;
  label: string;
  floorArea?: string | null;
  seats: number;
  x: number;
  y: number;
  width: number;
  height: number;
  shape: 'rect' | 'round';
  rotation: number;
  state: TableState;
  session: {
    id: string;
    guests: number;
    serverId: string;
    serverName: string;
    deviceId?: string | null;
    openedAt: string;
    minutesSeated: number;
  } | null;
  orders: { id: string; number: number; status: string; total: number; due: number }[];
  total: number;
  due: number;
}

/** The areas of the floor, in the order their first table comes (tables without one: ""). */
export function areasOf(tables: Pick<FloorTable, 'floorArea'>[]): string[] {
  return [...new Set(tables.map((t) => t.floorArea ?? ''))];
}

/** How tall the plan of these tables is drawn: the lowest table's edge and a margin, at least
 *  half the width. */
export function planHeight(tables: Pick<FloorTable, 'y' | 'height'>[]): number {
  return Math.min(1000, Math.max(500, ...tables.map((t) => t.y + t.height + 40)));
}

/** A table dragged by (dx, dy) plan units, kept on the plan. */
export function moved<T extends Pick<FloorTable, 'x' | 'y' | 'width' | 'height'>>(t: T, dx: number, dy: number): T {
  return { ...t, x: Math.round(Math.max(0, Math.min(1000 - t.width, t.x + dx))), y: Math.round(Math.max(0, Math.min(1000 - t.height, t.y + dy))) };
}

const key = (branchId: string) => `sous:pos:floor:${branchId}`;

export function keepFloor(branchId: string, tables: FloorTable[]): Promise<void> {
  return set(key(branchId), tables);
}

export async function keptFloor(branchId: string): Promise<FloorTable[] | null> {
  return (await get<FloorTable[]>(key(branchId))) ?? null;
}

/** Offline, a till adds only to tables it opened itself (or that no till holds): two tills cut
 *  off at once can never both own a table. */
export function mayAddOffline(tables: Pick<FloorTable, 'label' | 'session'>[], label: string, deviceId: string): boolean {
  const t = tables.find((x) => x.label.toLowerCase() === label.trim().toLowerCase());
  const holder = t?.session?.deviceId;
  return !holder || holder === deviceId;
}

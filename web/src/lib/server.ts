// Server-side reads for the SSR pages: the brand, and each branch's menu kept in this process and
// revalidated with its ETag (the API answers 304 while the menu is unchanged, so a warm page
// costs one small round trip and no JSON parse).
import { api, apiOrigin, type Brand, type Menu } from './api';

export const BRAND: string = (globalThis as any).process?.env?.SOUS_WEB_BRAND ?? 'demo';

interface Cached<T> {
  etag: string | null;
  value: T;
  checkedAt: number;
}

const menus = new Map<string, Cached<Menu>>();
let brand: Cached<Brand> | null = null;

/** The menu is re-checked at most every `freshMs`; the API's own cache makes a check cheap. */
const freshMs = 1000;

export async function branchMenu(branchId: string, now = Date.now()): Promise<Menu> {
  const hit = menus.get(branchId);
  if (hit && now - hit.checkedAt < freshMs) return hit.value;
  const headers: Record<string, string> = {};
  if (hit?.etag) headers['if-none-match'] = hit.etag;
  const res = await fetch(`${apiOrigin()}/api/branches/${branchId}/menu`, { headers });
  if (res.status === 304 && hit) {
    hit.checkedAt = now;
    return hit.value;
  }
  if (!res.ok) throw new Error(`menu of ${branchId}: HTTP ${res.status}`);
  const value = (await res.json()) as Menu;
  menus.set(branchId, { etag: res.headers.get('etag'), value, checkedAt: now });
  return value;
}

export async function currentBrand(now = Date.now()): Promise<Brand> {
  if (brand && now - brand.checkedAt < 10_000) return brand.value;
  const value = await api<Brand>(`/api/brands/${BRAND}`);
  brand = { etag: null, value, checkedAt: now };
  return value;
}

/** URL-friendly name of a category ("Sides & Appetisers" → "sides-appetisers"). */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

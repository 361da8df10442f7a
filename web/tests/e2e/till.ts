// Steps the browser tests of registered screens share: registering a till or a kitchen display
// the way a manager does it on the screen, and a staff member's PIN sign-in on its tiles.
import { expect, type Browser, type Page } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readState, login, call } from './server';

export const STAFF = {
  manager: { name: 'Demo Manager', pin: '2222' },
  cashier: { name: 'Demo Cashier', pin: '3333' },
} as const;

/** A new browser context (its own IndexedDB, so its own till) with a registered till and the
 *  staff member signed in, on `/{lang}/pos`. */
export async function openTill(browser: Browser, who: keyof typeof STAFF, lang: 'en' | 'ar' = 'en', name = 'Front counter', baseURL = readState().baseURL) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: lang === 'ar' ? 'ar-SA' : 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${baseURL}/en/pos`);
  await page.locator('astro-island:not([ssr])').getByLabel('Email').waitFor();
  await page.getByLabel('Email').fill('manager@demo.sous.test');
  await page.getByLabel('Password').fill('sous-demo-2026');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Till name').fill(name);
  await page.getByRole('button', { name: 'Register this till' }).first().click();
  await signIn(page, who);
  if (lang === 'ar') {
    await page.goto(`${baseURL}/ar/pos`);
    await expect(page.getByRole('heading', { name: 'الفاتورة' })).toBeVisible();
  }
  return { context, page };
}

/** Picks the staff tile and types the PIN on the keypad. */
export async function signIn(page: Page, who: keyof typeof STAFF) {
  const { name, pin } = STAFF[who];
  await page.getByTestId('staff-tiles').getByRole('button', { name }).click();
  for (const d of pin) await page.getByRole('button', { name: d, exact: true }).click();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in')).toContainText(name);
}

/** Writes a figure the till's budgets are held to, for `make bench` to report
 *  (crates/bench/src/web_scenarios.rs reads `web/.budgets/pos-*.json`). */
export function budget(name: string, value: number) {
  const dir = join(import.meta.dirname, '../../.budgets');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `pos-${name}.json`), JSON.stringify({ value, at: new Date().toISOString() }));
}

/** The 95th percentile of some figures. */
export function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
}

/** Bumps every open ticket of the branch: a spec that sends orders to the kitchen leaves the
 *  shared server's kitchen as it found it (other specs start from an empty board). */
export async function clearKitchen() {
  const { baseURL, branchId } = readState();
  const token = await login(baseURL, 'manager@demo.sous.test');
  for (let round = 0; round < 5; round++) {
    const open = await call<any[]>(`/api/branches/${branchId}/kitchen/tickets`, token);
    if (open.length === 0) return;
    for (const t of open) {
      // A ticket with a held course is fired first, then bumped.
      if (t.status === 'held') await call(`/api/orders/${t.orderId}/fire`, token, {}).catch(() => {});
      await call(`/api/kitchen/tickets/${t.id}/bump`, token, {}).catch(() => {});
    }
  }
}

/** A new browser context with a kitchen display registered by the manager and the cook signed in
 *  with their PIN (5555), on `/en/kds`. */
export async function openKitchenDisplay(browser: Browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  const kds = await context.newPage();
  await kds.goto(`${readState().baseURL}/en/kds`);
  await kds.locator('astro-island:not([ssr])').getByLabel('Email').waitFor();
  await kds.getByLabel('Email').fill('manager@demo.sous.test');
  await kds.getByLabel('Password').fill('sous-demo-2026');
  await kds.getByRole('button', { name: 'Sign in' }).click();
  await kds.getByRole('button', { name: 'Register this tablet' }).first().click();
  await kds.getByTestId('staff-tiles').getByRole('button', { name: 'Demo Kitchen' }).click();
  for (const d of '5555') await kds.getByRole('button', { name: d, exact: true }).click();
  await kds.getByRole('button', { name: 'Sign in' }).click();
  await expect(kds.getByRole('heading', { name: 'Kitchen display' })).toBeVisible();
  return { context, kds };
}

// Steps the till's browser tests share: registering a till the way a manager does it on the
// screen, and a staff member's PIN sign-in on its tiles.
import { expect, type Browser, type Page } from '@playwright/test';
import { readState } from './server';

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

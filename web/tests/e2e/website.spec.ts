// The website: landing page and menu in both languages (search as you type, the JS budget of
// the menu page), and scenario 3's pickup order by a signed-in customer, in English.
import { test, expect } from '@playwright/test';
import { gzipSync } from 'node:zlib';
import { readState, login } from './server';
import { shoot } from './shots';

for (const lang of ['en', 'ar'] as const) {
  test(`landing page and menu in ${lang}`, async ({ page }) => {
    const { baseURL } = readState();
    await page.goto(`${baseURL}/${lang}/`);
    await expect(page.locator('html')).toHaveAttribute('dir', lang === 'ar' ? 'rtl' : 'ltr');
    await expect(page.locator('html')).toHaveAttribute('lang', lang);
    await expect(page.locator('[data-branch]')).toHaveCount(2);
    await expect(page.locator('[data-branch] [data-open]').first()).toBeVisible();
    await shoot(page, `landing-${lang}`);

    // The menu page: server-rendered items, and only the Solid search island as JavaScript.
    const scripts: string[] = [];
    page.on('response', (r) => {
      if (r.request().resourceType() === 'script') scripts.push(r.url());
    });
    await page.goto(`${baseURL}/${lang}/menu`);
    await expect(page).toHaveURL(new RegExp(`/${lang}/menu/burgers`));
    await expect(page.locator('[data-item]').first()).toBeVisible();
    await expect(page.getByText(lang === 'ar' ? 'برجر لحم كلاسيك' : 'Classic Beef Burger').first()).toBeVisible();
    const search = page.getByLabel(lang === 'ar' ? 'ابحث في القائمة' : 'Search the menu');
    await search.fill(lang === 'ar' ? 'شاورما' : 'chiken burgr');
    const results = page.getByTestId('search-results').locator('[data-result]');
    await expect(results.first()).toBeVisible();
    await expect(results.first()).toContainText(lang === 'ar' ? 'شاورما' : 'Chicken Burger');
    await shoot(page, `menu-${lang}`);

    await page.waitForLoadState('networkidle');
    let gz = 0;
    for (const url of new Set(scripts)) gz += gzipSync(Buffer.from(await (await fetch(url)).arrayBuffer())).length;
    console.log(`menu page JavaScript (${lang}): ${(gz / 1024).toFixed(1)} KB gzip in ${new Set(scripts).size} files`);
    test.info().annotations.push({ type: `menu_js_gzip_bytes_${lang}`, description: String(gz) });
    expect(gz).toBeLessThanOrEqual(60 * 1024);
  });
}

test('scenario 3: a signed-in customer orders for pickup in English', async ({ page }) => {
  const { baseURL } = readState();
  await page.goto(`${baseURL}/en/order?type=pickup`);
  await expect(page.getByRole('link', { name: 'Pickup' })).toHaveAttribute('aria-current', 'page');
  // The form is a React island: what is typed before it hydrates is lost when React takes
  // over the inputs (Astro drops the island's `ssr` attribute once it has hydrated).
  await page.locator('astro-island:not([ssr]) [data-auth="signed-out"]').waitFor();
  await page.getByLabel('Email').fill('guest@demo.sous.test');
  await page.getByLabel('Password').fill('sous-demo-2026');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('[data-auth="signed-in"]')).toContainText('Signed in as');
  await expect(page.locator('[data-cart] [data-link="live"]')).toBeVisible();

  await page.getByRole('button', { name: 'Add: Chicken Shawarma', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: /Add to order/ }).click();
  await expect(page.getByTestId('cart-lines').locator('[data-line]')).toHaveCount(1);
  await expect(page.getByTestId('cart-lines')).toContainText('added by you');
  await page.getByRole('button', { name: '10%' }).click();
  // A phone for the restaurant to call, as people write it: the order keeps it in E.164.
  await page.getByLabel('Phone number (optional)').fill('+966 50 123 4567');
  await shoot(page, 'order-online-en');
  await page.getByRole('button', { name: 'Order and pay at the counter' }).click();
  await page.waitForURL(/\/en\/order\/[0-9a-f-]{36}\?as=customer/);
  await expect(page.getByTestId('order-status')).toHaveText('Placed');
  await expect(page.getByTestId('contact-phone')).toHaveText('Phone for this order: +966501234567');
  await expect(page.locator('[data-step]')).toHaveText(['Placed', 'Accepted', 'Preparing', 'Ready', 'Picked up']);
  await expect(page.locator('[data-link="live"]')).toBeVisible();
  await expect(page.getByTestId('queue-position')).toHaveCount(0);
  // The browse menu's cart bar is gone with the order.
  expect(await page.evaluate(() => localStorage.getItem('sous:cart-summary'))).toBe('{}');

  // The counter puts the order in the pickup line: its place shows up live, and leaves when
  // the order is handed over.
  const { branchId } = readState();
  const orderId = new URL(page.url()).pathname.split('/').pop();
  const host = await login(baseURL, 'waiter@demo.sous.test');
  const res = await fetch(`${baseURL}/api/branches/${branchId}/queue/pickup`, {
    method: 'POST',
    headers: { authorization: `Bearer ${host}`, 'content-type': 'application/json' },
    body: JSON.stringify({ orderId }),
  });
  expect(res.status).toBe(201);
  const entry = await res.json();
  const place = page.getByTestId('queue-position');
  await expect(place).toHaveAttribute('data-position', String(entry.position));
  await expect(place).toContainText(`Number ${entry.position} in the pickup line`);
  await shoot(page, 'order-tracking-en');
  const done = await fetch(`${baseURL}/api/queue/${entry.id}/done`, { method: 'POST', headers: { authorization: `Bearer ${host}` } });
  expect(done.status).toBe(200);
  await expect(place).toHaveCount(0);
});

test('a QR table link in English, and a link that is no longer valid', async ({ page }) => {
  const { baseURL, tables } = readState();
  const table = tables[1]!;
  await page.goto(`${baseURL}/en/t/${table.qrToken}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`Table ${table.label}`);
  await expect(page.locator('[data-cart] [data-link="live"]')).toBeVisible();
  await expect(page.getByText('Nothing in the order yet.')).toBeVisible();
  await shoot(page, 'qr-table-en');

  const res = await page.goto(`${baseURL}/en/t/not-a-table-token`);
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText('not valid any more');
});

test('delivery ordering asks for the address first (Arabic)', async ({ page }) => {
  const { baseURL } = readState();
  await page.goto(`${baseURL}/ar/order?type=delivery`);
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(page.getByRole('link', { name: 'توصيل' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('heading', { name: 'عنوان التوصيل' })).toBeVisible();
  await page.getByRole('button', { name: 'أضف: شاورما الدجاج', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: /أضف إلى الطلب/ }).click();
  await expect(page.getByTestId('cart-lines').locator('[data-line]')).toHaveCount(1);
  await expect(page.getByLabel('رقم الجوال (اختياري)')).toHaveAttribute('dir', 'ltr');
  // No order goes out before the address is accepted by a delivery zone.
  await expect(page.getByRole('button', { name: 'اطلب وادفع عند الكاشير' })).toBeDisabled();
  await shoot(page, 'order-online-ar');
});

test('a QR guest pays online on the payment page and the order shows it paid', async ({ page }) => {
  const { baseURL, tables } = readState();
  await page.goto(`${baseURL}/en/t/${tables[2]!.qrToken}`);
  await expect(page.locator('[data-cart] [data-link="live"]')).toBeVisible();
  await page.getByLabel('Search the menu').fill('karak');
  await page.getByTestId('search-results').getByRole('button', { name: 'Add: Karak Tea' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Large').check();
  await dialog.getByRole('button', { name: /Add to order/ }).click();
  await expect(page.getByTestId('cart-lines').locator('[data-line]')).toHaveCount(1);
  await page.getByRole('button', { name: '10%' }).click();
  const total = await page.getByTestId('cart-total').innerText();
  await page.getByRole('button', { name: 'Order and pay online' }).click();
  // The provider's hosted page (the simulator, in the demo).
  await expect(page).toHaveTitle(/SIMULATOR/);
  await page.getByRole('button', { name: 'Pay (simulator)' }).click();
  await page.waitForURL(/\/en\/order\/[0-9a-f-]{36}/);
  await expect(page.locator('[data-payment="succeeded"]')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('order-due')).toHaveText(total);
  await expect(page.getByText('Paid', { exact: true })).toBeVisible();
});

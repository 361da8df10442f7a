// Website delivery, the second half of scenario 3 (website.spec.ts has the pickup half): the
// address step refuses a point outside every delivery zone, and a closed branch, with a clear
// message; a point inside the Olaya zone is accepted with the zone's terms, its fee is in the
// total, a cart under the minimum order says what is missing and cannot be sent; and the order page follows the driver live —
// accepted, picked up, pings — with the hand-over code the driver is given at the door.
//
// The demo branches keep real opening hours (08:00–23:59 in their time zone) and a closed
// branch takes no delivery: like the Rust tests, these set the branch's hours through the API
// (closed every day, then no hours = open around the clock), so the result never depends on the
// time the tests run at.
import { test, expect, type Page } from '@playwright/test';
import { readState, login, updatable } from './server';
import { shoot } from './shots';

/** Inside the demo's Dubai Marina zone (3 km around the Dubai branch), and well outside it.
 *  The Dubai branch keeps these orders off the Riyadh kitchen screen the kitchen test starts
 *  empty. */
const INSIDE = { latitude: 25.0812, longitude: 55.1411 };
const OUTSIDE = { latitude: 25.2, longitude: 55.3 };

async function dubai(): Promise<string> {
  const { baseURL } = readState();
  const brand = await (await fetch(`${baseURL}/api/brands/demo`)).json();
  return brand.branches.find((b: { name: string }) => b.name.startsWith('Dubai')).id;
}

async function call(method: string, path: string, token: string, body?: unknown) {
  const { baseURL } = readState();
  const res = await fetch(`${baseURL}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Replaces the Dubai branch's opening hours (a full replacement of the branch). */
async function setHours(hours: Record<string, unknown>) {
  const { baseURL } = readState();
  const branchId = await dubai();
  const owner = await login(baseURL, 'owner@demo.sous.test');
  const branch = updatable(await call('GET', `/api/branches/${branchId}`, owner));
  await call('PUT', `/api/branches/${branchId}`, owner, { ...branch, openingHours: hours });
}
const CLOSED_ALL_WEEK = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, []]));
const OPEN_ALWAYS = {};

const STRINGS = {
  ar: {
    street: 'عنوان الشارع', lat: 'خط العرض', lng: 'خط الطول', check: 'تحقق من العنوان',
    address: 'ممشى المارينا ٤، دبي مارينا', inside: 'نوصل إلى هنا (دبي مارينا)',
    add: 'أضف: شاورما الدجاج', addToOrder: /أضف إلى الطلب/, fee: '٨٫٠٠ د.إ.', order: 'اطلب وادفع عند الكاشير',
    status: { placed: 'تم الطلب', ready: 'جاهز', out: 'في الطريق', delivered: 'تم التوصيل' },
    driver: 'سائقك: Demo Driver Dubai', driverAt: 'السائق عند ٢٥٫٠٨٢١، ٥٥٫١٤٢٢', eta: 'الوقت المتوقع نحو',
  },
  en: {
    street: 'Street address', lat: 'Latitude', lng: 'Longitude', check: 'Check address',
    address: 'Marina Walk 4, Dubai Marina', inside: 'We deliver here (Dubai Marina)',
    add: 'Add: Chicken Shawarma', addToOrder: /Add to order/, fee: 'AED 8.00', order: 'Order and pay at the counter',
    status: { placed: 'Placed', ready: 'Ready', out: 'Out for delivery', delivered: 'Delivered' },
    driver: 'Your driver: Demo Driver Dubai', driverAt: 'Driver at 25.0821, 55.1422', eta: 'Estimated in about',
  },
};

async function addShawarma(page: Page, addLabel: string, addToOrder: RegExp, quantity: number) {
  await page.getByRole('button', { name: addLabel, exact: true }).click();
  const dialog = page.getByRole('dialog');
  // The stepper's last button adds one (the quantity is shown in the page's digits).
  for (let n = 1; n < quantity; n++) await dialog.locator('.sheet-foot .stepper button').last().click();
  await dialog.getByRole('button', { name: addToOrder }).click();
  await expect(dialog).toBeHidden();
}

test.describe('website delivery', () => {
  test.use({ geolocation: OUTSIDE, permissions: ['geolocation'] });
  test.afterAll(async () => {
    await setHours(OPEN_ALWAYS);
  });

  test('scenario 3: an address outside every zone is refused; one inside is ordered with the fee in the total (English)', async ({ page, context }) => {
    const { baseURL } = readState();
    const branchId = await dubai();
    await setHours(CLOSED_ALL_WEEK);
    await page.goto(`${baseURL}/en/order?branch=${branchId}&type=delivery`);
    await expect(page.getByRole('link', { name: 'Delivery' })).toHaveAttribute('aria-current', 'page');
    await expect(page.locator('[data-cart] [data-link="live"]')).toBeVisible();
    await page.getByLabel('Street address').fill('Al Khail Rd 9, Al Quoz');

    // The browser's location fills the point.
    await page.getByRole('button', { name: 'Use my location' }).click();
    await expect(page.getByLabel('Latitude')).toHaveValue('25.200000');
    await expect(page.getByLabel('Longitude')).toHaveValue('55.300000');

    // A closed branch takes no delivery.
    await page.getByRole('button', { name: 'Check address' }).click();
    await expect(page.getByTestId('delivery-result')).toHaveText('This branch is closed now and takes no delivery orders.');

    // Open, but the point is outside every zone: refused, and nothing can be ordered.
    await setHours(OPEN_ALWAYS);
    await page.getByRole('button', { name: 'Check address' }).click();
    await expect(page.getByTestId('delivery-result')).toHaveText('Sorry, we do not deliver to this address.');
    await expect(page.getByTestId('delivery-result')).toHaveAttribute('data-ok', 'false');
    await addShawarma(page, 'Add: Chicken Shawarma', /Add to order/, 1);
    await expect(page.getByRole('button', { name: 'Order and pay at the counter' })).toBeDisabled();
    await expect(page.getByTestId('check-first')).toHaveText('Check the delivery address first.');
    await shoot(page, 'delivery-refused-en');

    // Inside Dubai Marina: the zone's fee, minimum and ETA.
    await context.setGeolocation(INSIDE);
    await page.getByLabel('Street address').fill('Marina Walk 4, Dubai Marina');
    await page.getByLabel('Directions for the driver (optional)').fill('Gate 3');
    await page.getByRole('button', { name: 'Use my location' }).click();
    await expect(page.getByLabel('Latitude')).toHaveValue('25.081200');
    await page.getByRole('button', { name: 'Check address' }).click();
    await expect(page.getByTestId('delivery-result')).toHaveText(
      'We deliver here (Dubai Marina). Delivery fee AED 8.00, minimum order AED 25.00, about 30 min.',
    );
    await expect(page.getByTestId('cart-delivery-fee')).toHaveText('AED 8.00');
    await expect(page.getByTestId('cart-total')).toHaveText('AED 20.50');

    // One shawarma (AED 12.50 in Dubai) is below the zone's minimum: the cart says what is missing and
    // cannot be sent.
    await expect(page.getByTestId('below-minimum')).toHaveText('Add AED 12.50 more to reach the delivery minimum of AED 25.00.');
    await expect(page.getByRole('button', { name: 'Order and pay at the counter' })).toBeDisabled();

    // Two more: AED 37.50 of items and the AED 8 fee.
    await addShawarma(page, 'Add: Chicken Shawarma', /Add to order/, 2);
    await expect(page.getByTestId('cart-total')).toHaveText('AED 45.50');
    await page.getByRole('button', { name: 'Order and pay at the counter' }).click();
    await page.waitForURL(/\/en\/order\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('order-status')).toHaveText('Placed');
    await expect(page.locator('[data-step]')).toHaveText(['Placed', 'Accepted', 'Preparing', 'Ready', 'Out for delivery', 'Delivered']);
    // The order carries the address and the zone's fee.
    await expect(page.getByTestId('order-due')).toHaveText('AED 45.50');
    await expect(page.getByTestId('delivery')).toContainText('Marina Walk 4, Dubai Marina — Gate 3');
    await expect(page.getByTestId('delivery-eta')).toContainText('Estimated in about');
    await expect(page.getByTestId('driver')).toHaveText('A driver will be assigned soon.');
  });

  for (const lang of ['ar', 'en'] as const) {
    const L = STRINGS[lang];
    test(`the order page follows the driver live (${lang}), with the address typed by hand`, async ({ page }) => {
      const { baseURL } = readState();
      const branchId = await dubai();
      await setHours(OPEN_ALWAYS);
      await page.goto(`${baseURL}/${lang}/order?branch=${branchId}&type=delivery`);
      await expect(page.locator('[data-cart] [data-link="live"]')).toBeVisible();
      await page.getByLabel(L.street).fill(L.address);
      await page.getByLabel(L.lat).fill('25.0850');
      await page.getByLabel(L.lng).fill('55.1450');
      await page.getByRole('button', { name: L.check }).click();
      await expect(page.getByTestId('delivery-result')).toContainText(L.inside);
      await addShawarma(page, L.add, L.addToOrder, 3);
      await expect(page.getByTestId('cart-delivery-fee')).toContainText(L.fee);
      await page.getByTestId('delivery-check').scrollIntoViewIfNeeded();
      await shoot(page, `delivery-address-${lang}`);
      await page.getByRole('button', { name: L.order }).click();
      await page.waitForURL(new RegExp(`/${lang}/order/[0-9a-f-]{36}$`));
      const orderId = page.url().split('/').pop()!;
      await expect(page.getByTestId('order-status')).toHaveText(L.status.placed);
      await expect(page.locator('[data-link="live"]')).toBeVisible();

      // The driver's side, over the API: on shift, given the order, accepts it; the kitchen's
      // part is done by the owner; the driver picks it up and drives, pinging.
      const owner = await login(baseURL, 'owner@demo.sous.test');
      const driver = await login(baseURL, 'driver.dubai@demo.sous.test');
      const driverId = JSON.parse(Buffer.from(driver.split('.')[1]!, 'base64url').toString()).sub;
      await call('POST', '/api/driver/shift', driver, { branchId });
      try {
        await call('POST', `/api/deliveries/${orderId}/assign`, owner, { driverId });
        await call('POST', `/api/deliveries/${orderId}/accept`, driver);
        await expect(page.getByTestId('driver')).toHaveText(L.driver);
        for (const status of ['accepted', 'preparing', 'ready']) {
          await call('POST', `/api/orders/${orderId}/status`, owner, { status });
        }
        await expect(page.getByTestId('order-status')).toHaveText(L.status.ready);
        await call('POST', `/api/driver/location`, driver, { lat: 25.0805, lng: 55.1403 });
        await call('POST', `/api/deliveries/${orderId}/picked-up`, driver);
        await expect(page.getByTestId('order-status')).toHaveText(L.status.out);
        const position = page.getByTestId('driver-position');
        await expect(position).toHaveAttribute('data-lat', '25.0805');
        // Each ping moves the driver on the page, without a reload.
        await call('POST', `/api/driver/location`, driver, { lat: 25.0821, lng: 55.1422 });
        await expect(position).toHaveAttribute('data-lat', '25.0821');
        await expect(position).toHaveAttribute('data-lng', '55.1422');
        await expect(position).toHaveText(L.driverAt);
        await call('POST', `/api/driver/location`, driver, { lat: 25.0838, lng: 55.1439 });
        await expect(position).toHaveAttribute('data-lat', '25.0838');
        await expect(page.getByTestId('delivery-eta')).toContainText(L.eta);
        await page.getByTestId('delivery').scrollIntoViewIfNeeded();
        await shoot(page, `delivery-tracking-${lang}`);

        // The guest reads the hand-over code to the driver, and the order is delivered.
        const code = (await page.getByTestId('handover-code').innerText()).trim();
        expect(code).toMatch(/^[0-9]{4}$/);
        await call('POST', `/api/deliveries/${orderId}/delivered`, driver, { code });
        await expect(page.getByTestId('order-status')).toHaveText(L.status.delivered);
        await expect(page.getByTestId('handover-code')).toHaveCount(0);
      } finally {
        await call('POST', '/api/driver/shift/end', driver);
      }
    });
  }
});

// The guest's order on a phone, in English and Arabic: the item sheet (options, note, quantity),
// the cart bar that opens the cart, each line's options and note with its quantity stepper,
// switching between pickup and delivery keeping the cart, a delivery cart under the zone's
// minimum saying what is missing and refusing to be sent; the browse menu's Add and cart bar,
// and a menu not served now saying when it is; a wrong password worded for the guest.
import { test, expect, type Page } from '@playwright/test';
import { readState, login, call } from './server';
import { shoot } from './shots';

/** Inside the demo's Olaya zone in Riyadh (fee SAR 10, minimum SAR 30). */
const OLAYA = { lat: '24.6900', lng: '46.6850' };

const L = {
  en: {
    add: 'Add: Karak Tea', large: 'Large', notes: 'Notes for the kitchen', addToOrder: /Add to order/,
    two: '2 items', three: '3 items', one: '1 item', more: 'One more: Karak Tea', less: 'One less: Karak Tea',
    pickup: 'Pickup', delivery: 'Delivery', street: 'Street address', lat: 'Latitude', lng: 'Longitude',
    check: 'Check address', order: 'Order and pay at the counter',
    // Karak Tea SAR 8 + Large SAR 3, twice: SAR 22 of the SAR 30 minimum.
    missing: 'Add SAR 8.00 more to reach the delivery minimum of SAR 30.00.',
    total2: 'SAR 22.00', total3: 'SAR 33.00',
    email: 'Email', password: 'Password', signIn: 'Sign in',
    wrongPassword: 'That email and password do not match an account. Check them and try again.',
  },
  ar: {
    add: 'أضف: شاي كرك', large: 'كبير', notes: 'ملاحظات للمطبخ', addToOrder: /أضف إلى الطلب/,
    two: 'صنفان', three: '٣ أصناف', one: 'صنف واحد', more: 'واحد آخر: شاي كرك', less: 'واحد أقل: شاي كرك',
    pickup: 'استلام', delivery: 'توصيل', street: 'عنوان الشارع', lat: 'خط العرض', lng: 'خط الطول',
    check: 'تحقق من العنوان', order: 'اطلب وادفع عند الكاشير',
    missing: 'الحد الأدنى لطلب التوصيل ‏٣٠٫٠٠ ر.س.‏، أضف ‏٨٫٠٠ ر.س.‏ لبلوغه.',
    total2: '‏٢٢٫٠٠ ر.س.‏', total3: '‏٣٣٫٠٠ ر.س.‏',
    email: 'البريد الإلكتروني', password: 'كلمة المرور', signIn: 'تسجيل الدخول',
    wrongPassword: 'البريد الإلكتروني وكلمة المرور لا يطابقان أي حساب. تحقق منهما وحاول مجددًا.',
  },
} as const;

/** Compares money as the page shows it, ignoring the direction marks and spaces Intl adds. */
const plain = (s: string) => s.replace(/[\u200e\u200f\u061c\s\u00a0]/g, '');

async function expectMoney(page: Page, testId: string, want: string) {
  await expect.poll(async () => plain(await page.getByTestId(testId).first().innerText())).toBe(plain(want));
}

for (const lang of ['en', 'ar'] as const) {
  const S = L[lang];

  test(`a phone's cart: options, stepper, cart bar, pickup/delivery, minimum (${lang})`, async ({ page }) => {
    const { baseURL, branchId } = readState();
    await page.goto(`${baseURL}/${lang}/order?branch=${branchId}&type=pickup`);
    await expect(page.locator('[data-cart] [data-link="live"]')).toBeVisible();
    await expect(page.getByTestId('cart-bar')).toHaveCount(0);

    // The item sheet: a required size, a note and a quantity of two, in the page's digits.
    await page.getByRole('button', { name: S.add, exact: true }).click();
    const sheet = page.getByRole('dialog');
    await sheet.getByRole('button', { name: S.addToOrder }).click();
    // The refusal sits in its group, not at the end of the sheet.
    await expect(sheet.locator('fieldset[aria-invalid="true"]').getByTestId('item-problems')).toBeVisible();
    await sheet.getByLabel(S.large).check();
    await expect(sheet.getByTestId('item-problems')).toHaveCount(0);
    await sheet.getByLabel(S.notes).fill(lang === 'ar' ? 'سكر أقل' : 'Less sugar');
    await sheet.getByRole('button', { name: S.more }).click();
    await expect(sheet.locator('#line-qty')).toHaveText(lang === 'ar' ? '٢' : '2');
    // The Add button, with the price, stays on screen at the bottom of the sheet.
    await expect(sheet.getByRole('button', { name: S.addToOrder })).toBeInViewport();
    await shoot(page, `item-sheet-${lang}`);
    await sheet.getByRole('button', { name: S.addToOrder }).click();
    await expect(sheet).toBeHidden();

    // The cart bar: count and total; it opens the cart.
    const bar = page.getByTestId('cart-bar');
    await expect(bar).toBeVisible();
    await expect(bar.getByTestId('cart-bar-count')).toHaveText(S.two);
    await expectMoney(page, 'cart-bar-total', S.total2);
    await shoot(page, `cart-bar-${lang}`);
    await bar.getByRole('button').click();
    await expect(page.locator('#cart-title')).toBeFocused();
    await expect(page.locator('#cart-title')).toBeInViewport();
    await expect(bar).toBeHidden();

    // The line with its option and note, and the stepper.
    const line = page.getByTestId('cart-lines').locator('[data-line]');
    await expect(line).toHaveCount(1);
    await expect(line.getByTestId('line-options')).toHaveText(S.large);
    await expect(line.getByTestId('line-notes')).toContainText(lang === 'ar' ? 'سكر أقل' : 'Less sugar');
    await line.getByRole('button', { name: S.more }).click();
    await expect(line.getByTestId('line-qty')).toHaveText(lang === 'ar' ? '٣' : '3');
    await expectMoney(page, 'cart-total', S.total3);
    await line.getByRole('button', { name: S.less }).click();
    await expect(line.getByTestId('line-qty')).toHaveText(lang === 'ar' ? '٢' : '2');
    await expectMoney(page, 'cart-total', S.total2);
    await shoot(page, `cart-${lang}`);

    // Delivery keeps the cart: the same line, option, note and quantity.
    await page.getByRole('link', { name: S.delivery, exact: true }).click();
    await expect(page).toHaveURL(/type=delivery/);
    await expect(page.locator('[data-cart] [data-link="live"]')).toBeVisible();
    const moved = page.getByTestId('cart-lines').locator('[data-line]');
    await expect(moved).toHaveCount(1);
    await expect(moved.getByTestId('line-options')).toHaveText(S.large);
    await expect(moved.getByTestId('line-qty')).toHaveText(lang === 'ar' ? '٢' : '2');

    // An address in Olaya: SAR 22 of items is under the zone's SAR 30 minimum. The cart says
    // what is missing and cannot be sent.
    await page.getByLabel(S.street).fill('Olaya Street 12');
    await page.getByLabel(S.lat).fill(OLAYA.lat);
    await page.getByLabel(S.lng).fill(OLAYA.lng);
    await page.getByRole('button', { name: S.check }).click();
    await expect(page.getByTestId('delivery-result')).toHaveAttribute('data-ok', 'true');
    await expect.poll(async () => plain(await page.getByTestId('below-minimum').innerText())).toBe(plain(S.missing));
    await expect(page.getByRole('button', { name: S.order })).toBeDisabled();
    await page.getByTestId('below-minimum').scrollIntoViewIfNeeded();
    await shoot(page, `delivery-minimum-${lang}`);
    await moved.getByRole('button', { name: S.more }).click();
    await expect(page.getByTestId('below-minimum')).toHaveCount(0);
    await expect(page.getByRole('button', { name: S.order })).toBeEnabled();

    // And back to pickup: the cart comes along again.
    await page.getByRole('link', { name: S.pickup, exact: true }).click();
    await expect(page).toHaveURL(/type=pickup/);
    const back = page.getByTestId('cart-lines').locator('[data-line]');
    await expect(back).toHaveCount(1);
    await expect(back.getByTestId('line-qty')).toHaveText(lang === 'ar' ? '٣' : '3');
  });

  test(`a wrong password is a sentence in the guest's language (${lang})`, async ({ page }) => {
    const { baseURL } = readState();
    await page.goto(`${baseURL}/${lang}/order?type=pickup`);
    await page.locator('astro-island:not([ssr]) [data-auth="signed-out"]').waitFor();
    await page.getByLabel(S.email).fill('guest@demo.sous.test');
    await page.getByLabel(S.password).fill('not-the-password');
    await page.getByRole('button', { name: S.signIn, exact: true }).first().click();
    const alert = page.locator('[data-auth="signed-out"] [role="alert"]');
    await expect(alert).toHaveText(S.wrongPassword);
    await expect(alert).not.toContainText('invalid_credentials');
  });
}

test('the browse menu adds to the order and shows its cart bar; a menu not served now says when it is', async ({ page }) => {
  const { baseURL, branchId } = readState();
  // Breakfast off now: served for an hour twelve hours from now (Riyadh time), then as before.
  const owner = await login(baseURL, 'owner@demo.sous.test');
  const menu = await (await fetch(`${baseURL}/api/branches/${branchId}/menu`)).json();
  const breakfast = menu.menus.find((m: { name: string }) => m.name === 'Breakfast');
  const riyadhHour = (new Date().getUTCHours() + 3) % 24;
  const from = Math.min((riyadhHour + 12) % 24, 22);
  const hh = (n: number) => String(n).padStart(2, '0');
  const put = (schedule: unknown) =>
    call(`/api/catalog/menus/${breakfast.id}`, owner, { name: breakfast.name, nameAr: breakfast.nameAr, schedule }, 'PUT');
  await put([{ days: [1, 2, 3, 4, 5, 6, 7], start: `${hh(from)}:00`, end: `${hh(from + 1)}:00` }]);
  try {
    await expect
      .poll(async () => (await (await fetch(`${baseURL}/api/branches/${branchId}/menu`)).json()).menus.find((m: { id: string }) => m.id === breakfast.id).availableNow)
      .toBe(false);
    // The web app revalidates its copy of the menu within a second.
    const card = page.locator('[data-item]').first();
    await expect(async () => {
      await page.goto(`${baseURL}/en/menu/breakfast-plates?branch=${branchId}`);
      await expect(card.locator('[data-served-at]')).toHaveText(`Not served now · Breakfast ${hh(from)}:00–${hh(from + 1)}:00`, { timeout: 1000 });
    }).toPass();
    await expect(card.getByRole('link', { name: /^Add:/ })).toHaveCount(0);
    await page.goto(`${baseURL}/ar/menu/breakfast-plates?branch=${branchId}`);
    const digits = (s: string) => s.replace(/[0-9]/g, (d) => '٠١٢٣٤٥٦٧٨٩'[Number(d)]!);
    await expect(page.locator('[data-item]').first().locator('[data-served-at]')).toHaveText(
      `لا يُقدَّم الآن، الفطور ${digits(`${hh(from)}:00–${hh(from + 1)}:00`)}`,
    );
  } finally {
    await put(breakfast.schedule);
  }

  // Items served now: "Add" opens the item on the order page, and back on the menu the bar
  // shows the order.
  await page.goto(`${baseURL}/en/menu/burgers?branch=${branchId}`);
  await expect(page.getByTestId('cart-bar')).toBeHidden();
  const photo = page.locator('[data-item] img.thumb').first();
  await expect(photo).toHaveAttribute('loading', 'lazy');
  await expect(photo).toHaveAttribute('srcset', /\/api\/media\/[0-9a-f]{64} 320w, \/api\/media\/[0-9a-f]{64} 640w/);
  await page.getByRole('link', { name: 'Add: Classic Beef Burger', exact: true }).click();
  await expect(page).toHaveURL(/\/en\/order\?branch=/);
  const sheet = page.getByRole('dialog');
  await expect(sheet.getByRole('heading', { name: 'Classic Beef Burger' })).toBeVisible();
  await expect(sheet.locator('img.photo')).toHaveAttribute('srcset', / 640w/);
  await sheet.getByLabel('Regular').check();
  await sheet.getByRole('button', { name: /Add to order/ }).click();
  await expect(sheet).toBeHidden();
  await expect(page.getByTestId('cart-lines').locator('[data-line]')).toHaveCount(1);
  await page.goto(`${baseURL}/en/menu/burgers?branch=${branchId}`);
  const bar = page.getByTestId('cart-bar');
  await expect(bar).toBeVisible();
  await expect(bar.getByTestId('cart-bar-count')).toHaveText('1 item');
  await shoot(page, 'menu-cart-bar-en');
  await bar.getByRole('link').click();
  await expect(page).toHaveURL(/\/en\/order\?branch=.*type=pickup/);
  await expect(page.getByTestId('cart-lines').locator('[data-line]')).toHaveCount(1);
});

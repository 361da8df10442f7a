// A table of four at the till, in Arabic: the waiter opens the table, rings up dishes with
// options on three seats over two courses and sends them; the kitchen gets course 1 only until
// course 2 is fired; once served the check is split by seat and each seat pays its own way —
// cash, a card that is approved, a card that is declined and then cash — with a receipt.
import { test, expect, type Page } from '@playwright/test';
import { readState, login, call } from './server';
import { openTill, clearKitchen } from './till';
import { shoot } from './shots';

const state = () => readState();

async function tapItem(page: Page, name: string) {
  await page.getByTestId('till-items').getByRole('button', { name, exact: true }).click();
}

async function ticketsOf(orderId: string, token: string) {
  return call<any[]>(`/api/orders/${orderId}/kitchen-tickets`, token);
}

test.afterAll(clearKitchen);

test('a table of four in Arabic: seats, two courses, split by seat, cash and cards', async ({ browser }) => {
  const manager = await login(state().baseURL, 'manager@demo.sous.test');
  const { context, page } = await openTill(browser, 'cashier', 'ar');
  // A table of its own: other tests leave orders open at the demo's QR tables.
  const table = 'P1';
  await shoot(page, 'pos-order-ar');

  await page.getByRole('radio', { name: 'محلي' }).click();
  await page.getByLabel('الطاولة', { exact: true }).fill(table);
  await page.getByLabel('الضيوف').fill('4');

  // Seat 1, course 1: a burger, large (its options in the dialog, the defaults chosen).
  await page.getByRole('radiogroup', { name: 'المقعد' }).getByRole('radio', { name: 'مقعد ١' }).click();
  await tapItem(page, 'برجر لحم كلاسيك');
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('كبير').first().check();
  await dialog.getByRole('button', { name: /^إضافة/ }).click();
  // Seat 2 and seat 3, course 1.
  await page.getByRole('radiogroup', { name: 'المقعد' }).getByRole('radio', { name: 'مقعد ٢' }).click();
  await tapItem(page, 'فتوش');
  await page.getByRole('radiogroup', { name: 'المقعد' }).getByRole('radio', { name: 'مقعد ٣' }).click();
  await tapItem(page, 'حمص بالطحينة');
  // Course 2: dessert for seats 3 and 1.
  await page.getByRole('radiogroup', { name: 'الطبق' }).getByRole('radio', { name: 'طبق ٢' }).click();
  await tapItem(page, 'أم علي');
  await page.getByRole('radiogroup', { name: 'المقعد' }).getByRole('radio', { name: 'مقعد ١' }).click();
  await tapItem(page, 'كنافة بالجبن');
  await expect(page.getByTestId('check-line')).toHaveCount(5);
  await shoot(page, 'pos-check-ar');

  await page.getByRole('button', { name: 'إرسال إلى المطبخ' }).click();
  await expect(page.getByTestId('till-notice')).toContainText('أُرسل الطلب');
  const check = page.getByTestId('table-check');
  await expect(check).toHaveCount(1);
  const number = Number(await check.getAttribute('data-order-number'));
  const orders = await call<any[]>(`/api/orders?branchId=${state().branchId}&type=dine_in&limit=50`, manager);
  const order = orders.find((o) => o.number === number)!;
  expect(order.table).toBe(table);
  expect(order.lines.map((l: any) => [l.seat, l.course]).sort()).toEqual([[1, 1], [1, 2], [2, 1], [3, 1], [3, 2]]);

  // The kitchen has course 1; course 2 is held until the waiter fires it.
  const items = (await ticketsOf(order.id, manager)).flatMap((t) => t.items);
  expect(items.filter((i: any) => !i.held).map((i: any) => i.course).sort()).toEqual([1, 1, 1]);
  expect(items.filter((i: any) => i.held).map((i: any) => i.course)).toEqual([2, 2]);
  await check.getByRole('button', { name: 'إطلاق الطبق التالي' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'أُطلق الطبق' })).toBeVisible();
  expect((await ticketsOf(order.id, manager)).flatMap((t) => t.items).every((i: any) => !i.held)).toBe(true);
  // For a kitchen without a display, the tickets print from the till.
  await check.getByRole('button', { name: 'تذكرة المطبخ' }).click();
  await expect(page.getByTestId('kitchen-tickets')).toContainText('Umm Ali');
  await page.getByRole('dialog').getByRole('button', { name: 'إغلاق' }).click();

  // The kitchen bumps everything; the till sees the food ready (live) and the waiter serves it.
  for (const t of await ticketsOf(order.id, manager)) if (t.status !== 'bumped') await call(`/api/kitchen/tickets/${t.id}/bump`, manager, {});
  await check.getByRole('button', { name: 'تم التقديم' }).click();
  await check.getByRole('button', { name: 'تقسيم حسب المقعد' }).click();
  await expect(page.getByTestId('table-check')).toHaveCount(3);

  const seatCheck = (seat: string) => page.getByTestId('table-check').filter({ hasText: `مقعد ${seat}` }).first();
  const tender = page.getByTestId('tender');

  // Seat 1: cash, exact.
  await seatCheck('١').getByRole('button', { name: /^دفع/ }).click();
  await tender.getByRole('button', { name: /^المبلغ بالضبط/ }).click();
  await expect(tender.getByTestId('paid-in-full')).toBeVisible();
  await shoot(page, 'pos-tender-ar');
  await tender.getByRole('button', { name: 'إغلاق' }).click();
  const receipt = page.getByTestId('receipt');
  await expect(receipt).toBeVisible();
  await expect(receipt.getByTestId('receipt-qr')).toBeVisible();
  await expect(receipt).toContainText('فاتورة ضريبية مبسطة');
  await shoot(page, 'pos-receipt-ar');
  await page.getByRole('dialog').getByRole('button', { name: 'إغلاق' }).click();

  // Seat 2: a card, approved.
  await seatCheck('٢').getByRole('button', { name: /^دفع/ }).click();
  await tender.getByRole('radio', { name: 'بطاقة' }).click();
  await tender.getByRole('button', { name: /^الدفع بالبطاقة/ }).click();
  await expect(tender.getByText('تمت الموافقة على البطاقة.')).toBeVisible();
  await expect(tender.getByTestId('paid-in-full')).toBeVisible();
  await tender.getByRole('button', { name: 'إغلاق' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'إغلاق' }).click();

  // Seat 3: a card declined (the terminal simulator declines amounts ending in 51), then cash.
  await seatCheck('٣').getByRole('button', { name: /^دفع/ }).click();
  await tender.getByRole('radio', { name: 'بطاقة' }).click();
  await tender.getByLabel('المبلغ المدفوع الآن').fill('10.51');
  await tender.getByRole('button', { name: /^الدفع بالبطاقة/ }).click();
  await expect(tender.getByTestId('card-declined')).toBeVisible();
  await tender.getByRole('radio', { name: 'نقدًا' }).click();
  await tender.getByLabel('النقد المستلم').fill('100');
  await tender.getByRole('button', { name: 'استلام النقد' }).click();
  await expect(tender.getByTestId('change-due')).toBeVisible();
  await expect(tender.getByTestId('paid-in-full')).toBeVisible();
  await tender.getByRole('button', { name: 'إغلاق' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'إغلاق' }).click();

  // Every check of the table is paid: cash twice, one card, and the declined card took nothing.
  const after = await call<any[]>(`/api/orders?branchId=${state().branchId}&type=dine_in&limit=50`, manager);
  const checks = after.filter((o) => o.table === table && o.status === 'served');
  expect(checks).toHaveLength(3);
  expect(checks.every((o) => o.due === 0)).toBe(true);
  expect(checks.flatMap((o) => o.payments.map((p: any) => p.method)).sort()).toEqual(['card', 'cash', 'cash']);
  await context.close();
});

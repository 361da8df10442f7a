// The till at the counter, in English: a guest's QR order arrives on the till with a chime and is
// accepted; the manager opens the drawer with a float, rings up a takeaway paid in cash (change
// due shown, the receipt printed), pays out cash for the ice, counts the drawer a little short,
// closes it with the difference and reads the day's Z report; then the same screens in Arabic.
import { test, expect } from '@playwright/test';
import { readState, login, call } from './server';
import { openTill, clearKitchen, openKitchenDisplay } from './till';
import { shoot } from './shots';

const state = () => readState();

test.afterAll(clearKitchen);

test('a QR order arrives with a chime; the drawer from float to Z report around a cash sale', async ({ browser }) => {
  const { context, page } = await openTill(browser, 'manager', 'en', 'Counter till');
  // Count the chimes the till plays (Web Audio oscillators started).
  await page.evaluate(() => {
    const w = window as any;
    w.__chimes = 0;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (...args: any[]) {
      w.__chimes += 1;
      return start.apply(this, args as any);
    };
  });

  // The incoming orders: this branch leaves QR orders to staff (the default accepts them as
  // they are placed); a guest at a QR table orders; the till shows it and chimes.
  const manager = await login(state().baseURL, 'manager@demo.sous.test');
  const acceptance = (mode: string) =>
    call(`/api/branches/${state().branchId}/order-acceptance`, manager, { rules: [{ channel: 'qr', mode, timeoutMinutes: 10 }] }, 'PUT');
  await acceptance('staff');
  await page.getByRole('button', { name: 'Orders', exact: true }).click();
  await expect(page.getByRole('heading', { name: /Incoming orders/ })).toBeVisible();
  const table = state().tables[1]!;
  const joined = await (await fetch(`${state().baseURL}/api/tables/${table.qrToken}/join`, { method: 'POST' })).json();
  const guest = joined.session.accessToken as string;
  const menu = await (await fetch(`${state().baseURL}/api/branches/${state().branchId}/menu`)).json();
  const hummus = menu.menus.flatMap((m: any) => m.categories).flatMap((c: any) => c.items).find((i: any) => i.name === 'Hummus');
  const order = await call('/api/orders', guest, { branchId: state().branchId, type: 'dine_in', lines: [{ productId: hummus.id, quantity: 1 }] }, 'POST', {
    'idempotency-key': crypto.randomUUID(),
  });
  const incoming = page.getByTestId('incoming').locator(`[data-order-number="${order.number}"]`);
  await expect(incoming).toBeVisible();
  await expect.poll(() => page.evaluate(() => (window as any).__chimes)).toBeGreaterThan(0);
  await shoot(page, 'pos-orders-en');
  await incoming.getByRole('button', { name: 'Accept' }).click();
  await expect(incoming).toHaveCount(0);
  expect((await call(`/api/orders/${order.id}`, manager)).status).toBe('accepted');
  await acceptance('auto');

  // The drawer: open with a float of 500.00.
  await page.getByRole('button', { name: 'Drawer', exact: true }).click();
  // A new till has no drawer open yet.
  await page.getByLabel('Opening float').fill('500.00');
  await page.getByRole('button', { name: 'Open drawer' }).click();
  await expect(page.getByTestId('drawer-expected')).toBeVisible();
  const before = await page.getByTestId('drawer-expected').textContent();

  // A takeaway paid in cash with a 100 note: the change is shown large, the receipt comes up.
  await page.getByRole('button', { name: 'New order', exact: true }).click();
  await page.getByRole('radio', { name: 'Takeaway' }).click();
  await page.getByLabel('Search items').fill('karak');
  await page.getByTestId('till-items').getByRole('button', { name: 'Karak Tea', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: /^Add/ }).click();
  await page.getByRole('button', { name: 'One more Karak Tea' }).click();
  await expect(page.getByTestId('check-total')).toHaveText('SAR 16.00');
  await shoot(page, 'pos-order-en');
  await page.getByRole('button', { name: 'Pay', exact: true }).click();
  const tender = page.getByTestId('tender');
  await tender.getByRole('button', { name: 'SAR 100.00' }).click();
  await expect(tender.getByTestId('change-due')).toContainText('SAR 84.00');
  await shoot(page, 'pos-tender-en');
  await tender.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('receipt')).toContainText('Karak Tea');
  await expect(page.getByTestId('receipt').getByTestId('receipt-qr')).toBeVisible();
  await shoot(page, 'pos-receipt-en');
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

  // Pay out 20.00 for ice, count 10.00 short, close, and the Z report.
  await page.getByRole('button', { name: 'Drawer', exact: true }).click();
  await expect(page.getByTestId('drawer-expected')).not.toHaveText(before!);
  const afterSale = await page.getByTestId('drawer-expected').textContent();
  await page.getByRole('radio', { name: 'Pay out' }).click();
  await page.getByLabel('Amount').fill('20.00');
  await page.getByLabel('Reason').fill('Ice delivery');
  await page.getByRole('button', { name: 'Record' }).click();
  await expect(page.getByTestId('drawer-expected')).not.toHaveText(afterSale!);
  const expected = await page.getByTestId('drawer-report').getByTestId('drawer-expected').textContent();
  const expectedMinor = Math.round(Number(expected!.replace(/[^0-9.]/g, '')) * 100);
  // Count it in notes of 100 and 10 and coins of 1, ten riyals short.
  const short = expectedMinor - 1000;
  await page.getByLabel('Notes SAR 100.00').fill(String(Math.floor(short / 10000)));
  await page.getByLabel('Notes SAR 10.00').fill(String(Math.floor((short % 10000) / 1000)));
  await page.getByLabel('Coins SAR 1.00').fill(String(Math.floor((short % 1000) / 100)));
  await page.getByLabel('Coins SAR 0.50').fill(String(Math.floor((short % 100) / 50)));
  await page.getByLabel('Coins SAR 0.25').fill(String(Math.floor((short % 50) / 25)));
  await expect(page.getByTestId('drawer-counted')).toContainText((short / 100).toFixed(2));
  await shoot(page, 'pos-drawer-en');
  await page.getByRole('button', { name: 'Close drawer' }).click();
  await expect(page.getByTestId('drawer-difference')).toHaveText('-SAR 10.00');
  await page.getByRole('button', { name: 'Z report' }).last().click();
  await expect(page.getByTestId('z-report')).toBeVisible();
  // The shift summary: the manager took the cash for the karak tea.
  await page.getByRole('button', { name: 'Shift summary per server' }).last().click();
  await expect(page.getByTestId('server-report').getByRole('row', { name: /Demo Manager/ })).toContainText('SAR 16.00');

  // The same screens in Arabic.
  await page.goto(`${state().baseURL}/ar/pos`);
  await page.getByRole('button', { name: 'الطلبات', exact: true }).click();
  await expect(page.getByRole('heading', { name: /الطلبات الواردة/ })).toBeVisible();
  await shoot(page, 'pos-orders-ar');
  await page.getByRole('button', { name: 'الدرج', exact: true }).click();
  await expect(page.getByLabel('الرصيد الافتتاحي')).toBeVisible();
  await shoot(page, 'pos-drawer-ar');
  await context.close();
});

test('a cashier gives a discount above the threshold with the manager’s PIN, and a tip', async ({ browser }) => {
  const { context, page } = await openTill(browser, 'cashier', 'en', 'Discount till');
  await page.getByRole('radio', { name: 'Takeaway' }).click();
  await page.getByTestId('till-items').getByRole('button', { name: 'Caesar Salad', exact: true }).click();
  await page.getByRole('button', { name: 'One more Caesar Salad' }).click();
  await page.getByRole('button', { name: 'One more Caesar Salad' }).click();
  await page.getByRole('button', { name: 'One more Caesar Salad' }).click();
  // 4 × 28.00 = 112.00; the line at 10 % off, then 50 % off the order: 112.00 − 11.20 − 50.40.
  await page.getByLabel('Line discount · Caesar Salad').selectOption({ label: '−10%' });
  await page.getByText('Discount, promo code, tip').click();
  await page.getByRole('radio', { name: 'Percent' }).click();
  await page.getByLabel('Discount (%)').fill('50');
  await page.getByLabel('Reason').selectOption('Complaint');
  await page.getByLabel('Tip').fill('5.00');
  await expect(page.getByTestId('check-discounts')).toHaveText('−SAR 61.60');
  await expect(page.getByTestId('check-total')).toHaveText('SAR 55.40');
  // More than 50.00 off: the cashier cannot pay until a manager types their PIN.
  const pay = page.getByRole('button', { name: 'Pay', exact: true });
  await expect(pay).toBeDisabled();
  await page.getByLabel("Manager's PIN").fill('2222');
  await pay.click();
  const tender = page.getByTestId('tender');
  await tender.getByRole('button', { name: /^Exact/ }).click();
  await expect(tender.getByTestId('paid-in-full')).toBeVisible();
  await tender.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('receipt')).toContainText('Caesar Salad');
  const manager = await login(state().baseURL, 'manager@demo.sous.test');
  const orders = await call<any[]>(`/api/orders?branchId=${state().branchId}&type=takeaway&limit=20`, manager);
  const order = orders.find((o) => o.lines.some((l: any) => l.name === 'Caesar Salad' && l.quantity === 4))!;
  expect(order.tip).toBe(500);
  expect(order.total).toBe(5540);
  expect(order.paid).toBe(5540);
  expect(order.lines[0].discount).toBeGreaterThan(0);
  await context.close();
});

test('a delivery taken by phone: the address checked against the zones, the fee on the check, cash on delivery', async ({ browser }) => {
  const { context, page } = await openTill(browser, 'cashier', 'en', 'Phone till');
  await page.getByRole('radio', { name: 'Delivery' }).click();
  await page.getByLabel('Customer name').fill('Noura');
  await page.getByLabel('Customer phone').fill('+966501234567');
  await page.getByLabel('Street address').fill('Olaya Street 12');
  await page.getByLabel('Latitude').fill('24.69');
  await page.getByLabel('Longitude').fill('46.685');
  await page.getByRole('button', { name: 'Check address' }).click();
  await expect(page.getByText('We deliver here (Olaya)')).toBeVisible();
  await page.getByTestId('till-items').getByRole('button', { name: 'Mixed Grill', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: /^Add/ }).click();
  await expect(page.getByTestId('check-total')).toHaveText('SAR 89.00');
  await page.getByRole('button', { name: 'Send (cash on delivery)' }).click();
  await expect(page.getByTestId('till-notice')).toContainText('sent to the kitchen');
  const manager = await login(state().baseURL, 'manager@demo.sous.test');
  const [order] = await call<any[]>(`/api/orders?branchId=${state().branchId}&type=delivery&limit=1`, manager);
  expect(order.contactPhone).toBe('+966501234567');
  expect(order.total).toBe(8900);
  expect(order.due).toBe(8900);
  expect(order.status).toBe('accepted');
  await context.close();
});

test('a combo with a choice for each slot goes on the check as one line and is sold as the combo', async ({ browser }) => {
  const { context, page } = await openTill(browser, 'cashier', 'en', 'Combo till');
  await page.getByRole('radio', { name: 'Takeaway' }).click();
  await page.getByLabel('Search items').fill('burger meal');
  await page.getByTestId('till-items').getByRole('button', { name: 'Burger Meal', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('group').first()).toBeVisible();
  await dialog.getByRole('button', { name: /^Add/ }).click();
  await expect(page.getByTestId('check-line')).toHaveCount(1);
  await page.getByRole('button', { name: 'Pay', exact: true }).click();
  const tender = page.getByTestId('tender');
  await tender.getByRole('button', { name: /^Exact/ }).click();
  await expect(tender.getByTestId('paid-in-full')).toBeVisible();
  await tender.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('receipt')).toContainText('Burger Meal');
  const manager = await login(state().baseURL, 'manager@demo.sous.test');
  const [order] = await call<any[]>(`/api/orders?branchId=${state().branchId}&type=takeaway&limit=1`, manager);
  expect(order.lines[0].productKind).toBe('combo');
  expect(order.lines[0].selection.slots.length).toBeGreaterThan(1);
  expect(order.due).toBe(0);
  await context.close();
});

test('an item sold out greys on the till at once and comes back when it is in stock again', async ({ browser }) => {
  const { context, page } = await openTill(browser, 'cashier', 'en', 'Stock till');
  const manager = await login(state().baseURL, 'manager@demo.sous.test');
  const menu = await (await fetch(`${state().baseURL}/api/branches/${state().branchId}/menu`)).json();
  const tabbouleh = menu.menus.flatMap((m: any) => m.categories).flatMap((c: any) => c.items).find((i: any) => i.name === 'Tabbouleh');
  const tile = page.getByTestId('till-items').getByRole('button', { name: /^Tabbouleh/ });
  await expect(tile).toBeEnabled();
  const path = `/api/branches/${state().branchId}/catalog/items/${tabbouleh.id}/sold-out`;
  await call(path, manager, {});
  // Well before the till's next menu read (15 s): the event brings it.
  await expect(tile).toBeDisabled({ timeout: 3000 });
  await expect(tile).toHaveAccessibleName('Tabbouleh · Sold out');
  await call(path, manager, undefined, 'DELETE');
  await expect(tile).toBeEnabled({ timeout: 3000 });
  await context.close();
});

test('a cashier finds the day’s order by its number and refunds it with the manager’s PIN, and voids another', async ({ browser }) => {
  const { context, page } = await openTill(browser, 'cashier', 'en', 'Refund till');
  const sell = async (dish: string) => {
    await page.getByRole('button', { name: 'New order', exact: true }).click();
    await page.getByRole('radio', { name: 'Takeaway' }).click();
    await page.getByTestId('till-items').getByRole('button', { name: dish, exact: true }).click();
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    const tender = page.getByTestId('tender');
    await tender.getByRole('button', { name: /^Exact/ }).click();
    await tender.getByRole('button', { name: 'Close' }).click();
    await expect(page.getByRole('dialog').getByRole('heading')).toContainText('#');
    const title = await page.getByRole('dialog').getByRole('heading').textContent();
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    return Number(/#(\d+)/.exec(title!)![1]);
  };
  const refunded = await sell('Umm Ali');
  const voided = await sell('Luqaimat');

  await page.getByRole('button', { name: 'Orders', exact: true }).click();
  const rows = page.getByTestId('orders').locator(':scope > li');
  await expect(rows.first()).toBeVisible();
  const all = await rows.count();
  // A number also matches a table or an amount that reads the same, so the search narrows the
  // day's list to the order (and such look-alikes), never to nothing.
  await page.getByLabel('Search by number, table or amount').fill(String(refunded));
  const row = page.getByTestId('orders').locator(`[data-order-number="${refunded}"]`);
  await expect(row).toHaveCount(1);
  await expect.poll(() => rows.count()).toBeLessThan(all);
  await row.getByRole('button', { name: 'Refund' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Reason').fill('Cold dessert');
  await dialog.getByLabel("Manager's PIN").fill('2222');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Refunded.' })).toBeVisible();

  await page.getByLabel('Search by number, table or amount').fill(String(voided));
  await page.getByTestId('orders').locator(`[data-order-number="${voided}"]`).getByRole('button', { name: 'Void' }).click();
  await dialog.getByLabel('Reason').fill('Rang up twice');
  await dialog.getByLabel("Manager's PIN").fill('2222');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Voided.' })).toBeVisible();

  const manager = await login(state().baseURL, 'manager@demo.sous.test');
  const orders = await call<any[]>(`/api/orders?branchId=${state().branchId}&type=takeaway&limit=20`, manager);
  const r = orders.find((o) => o.number === refunded)!;
  expect(r.refunded).toBe(r.paid);
  expect(orders.find((o) => o.number === voided)!.status).toBe('voided');
  await context.close();
});

test('a check is split by item: the chosen dishes go to a check of their own', async ({ browser }) => {
  const { context, page } = await openTill(browser, 'cashier', 'en', 'Split till');
  await page.getByRole('radio', { name: 'Dine-in' }).click();
  await page.getByLabel('Table', { exact: true }).fill('P9');
  await page.getByTestId('till-items').getByRole('button', { name: 'Hummus', exact: true }).click();
  await page.getByTestId('till-items').getByRole('button', { name: 'Fattoush', exact: true }).click();
  // Held, not sent: the check can be split before the kitchen has it.
  await page.getByRole('button', { name: 'Hold', exact: true }).click();
  const checks = page.getByTestId('table-check');
  await expect(checks).toHaveCount(1);
  await checks.getByLabel('Choose Fattoush for its own check').check();
  await checks.getByRole('button', { name: 'Split the chosen items' }).click();
  await expect(checks).toHaveCount(2);
  await expect(checks.filter({ hasText: 'Fattoush' })).toHaveCount(1);
  await expect(checks.filter({ hasText: 'Hummus' })).toHaveCount(1);
  await context.close();
});

test('a line sent to the kitchen is voided with a reason: struck through on the check and on the kitchen display', async ({ browser }) => {
  const { context, page } = await openTill(browser, 'cashier', 'en', 'Void till');
  const { context: kitchen, kds } = await openKitchenDisplay(browser);
  await page.getByRole('radio', { name: 'Dine-in' }).click();
  await page.getByLabel('Table', { exact: true }).fill('P10');
  await page.getByTestId('till-items').getByRole('button', { name: 'Hummus', exact: true }).click();
  await page.getByTestId('till-items').getByRole('button', { name: 'Fattoush', exact: true }).click();
  await page.getByRole('button', { name: 'Send to kitchen', exact: true }).click();
  const check = page.getByTestId('table-check');
  await expect(check).toHaveCount(1);
  const number = await check.getAttribute('data-order-number');
  const ticket = kds.locator(`[data-order-number="${number}"]`);
  await expect(ticket.filter({ hasText: 'Fattoush' })).toBeVisible();
  const totalBefore = await check.locator('.till-check-sum strong').first().textContent();

  await check.getByRole('button', { name: 'Void Fattoush' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Wrong item' }).click();
  await expect(dialog.getByLabel('Reason', { exact: true })).toHaveValue('Wrong item');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByText('The line was voided; the kitchen was told.')).toBeVisible();
  await expect(check).toContainText('Voided: Wrong item');
  await expect(check.locator('.till-check-sum strong').first()).not.toHaveText(totalBefore!);
  // Only the hummus is left to void: the last line stays (the order is voided instead).
  await expect(check.getByRole('button', { name: /^Void / })).toHaveCount(0);

  // The kitchen strikes it through at once.
  const voided = ticket.locator('[data-voided="true"]');
  await expect(voided).toContainText('Fattoush');
  await expect(voided).toContainText('VOID');
  await shoot(page, 'pos-void-en');
  await shoot(kds, 'kds-void-en');
  await context.close();

  // The same in Arabic, on a till and a kitchen display in Arabic.
  const ar = await openTill(browser, 'cashier', 'ar', 'Void till AR');
  await kds.goto(`${state().baseURL}/ar/kds`);
  await ar.page.getByRole('radio', { name: 'محلي' }).click();
  await ar.page.getByLabel('الطاولة', { exact: true }).fill('P11');
  await ar.page.getByTestId('till-items').getByRole('button', { name: 'حمص بالطحينة', exact: true }).click();
  await ar.page.getByTestId('till-items').getByRole('button', { name: 'فتوش', exact: true }).click();
  await ar.page.getByRole('button', { name: 'إرسال إلى المطبخ', exact: true }).click();
  const arCheck = ar.page.getByTestId('table-check');
  await arCheck.getByRole('button', { name: 'إلغاء فتوش' }).click();
  await ar.page.getByRole('dialog').getByRole('button', { name: 'صنف خاطئ' }).click();
  await shoot(ar.page, 'pos-void-ar');
  await ar.page.getByRole('dialog').getByRole('button', { name: 'تأكيد' }).click();
  await expect(arCheck).toContainText('ملغى: صنف خاطئ');
  const arNumber = await arCheck.getAttribute('data-order-number');
  await expect(kds.locator(`[data-order-number="${arNumber}"] [data-voided="true"]`)).toContainText('ملغى');
  await shoot(kds, 'kds-void-ar');
  await kitchen.close();
  await ar.context.close();
});

// Two tills of a branch share the floor, live: a cashier seats a party at a free table on one
// till and sends its order; the other till's floor shows the table seated, then ordered, within a
// second, and "food ready" when the kitchen is done; the table is marked as opened on another
// till there. A manager then moves a table on the plan and saves it.
import { test, expect, type Page } from '@playwright/test';
import { readState, login, call } from './server';
import { clearKitchen, openTill } from './till';
import { shoot } from './shots';

const state = () => readState();

test.afterAll(clearKitchen);

async function floorOf(page: Page) {
  await page.getByRole('button', { name: 'Tables', exact: true }).click();
  await expect(page.getByTestId('floor-plan').locator('[data-table]').first()).toBeVisible();
}

test('a table seated and ordered on one till shows on the other within a second', async ({ browser }) => {
  const manager = await login(state().baseURL, 'manager@demo.sous.test');
  const floor = await call<any[]>(`/api/branches/${state().branchId}/floor`, manager);
  const area = floor[0].floorArea ?? '';
  const free = floor.find((t) => t.state === 'free' && (t.floorArea ?? '') === area)!;

  const a = await openTill(browser, 'cashier', 'en', 'Floor till A');
  const b = await openTill(browser, 'manager', 'en', 'Floor till B');
  await floorOf(a.page);
  await floorOf(b.page);
  const onB = b.page.getByTestId('floor-plan').locator(`[data-table="${free.label}"]`);
  await expect(onB).toHaveAttribute('data-state', 'free');

  // Till A seats three and sends a dish.
  await a.page.getByTestId('floor-plan').locator(`[data-table="${free.label}"]`).click();
  await a.page.getByLabel('Guests').fill('3');
  await a.page.getByRole('button', { name: `Open table ${free.label}` }).click();
  await expect(b.page.getByTestId('floor-plan').locator(`[data-table="${free.label}"]`)).toHaveAttribute('data-state', 'seated');
  await expect(a.page.getByLabel('Table', { exact: true })).toHaveValue(free.label);
  await a.page.getByTestId('till-items').getByRole('button', { name: 'Fattoush', exact: true }).click();
  await a.page.getByRole('button', { name: 'Send to kitchen' }).click();
  // From the order placed (the till says so) to the other till's floor showing it.
  await expect(a.page.getByTestId('till-notice')).toContainText('sent to the kitchen');
  const placed = Date.now();
  await expect(onB).toHaveAttribute('data-state', 'ordered', { timeout: 5000 });
  const live = Date.now() - placed;
  console.log(`till floor: another till shows the order after ${live} ms`);
  expect(live).toBeLessThan(1000);
  await expect(a.page.getByTestId('table-check')).toHaveCount(1);
  await shoot(a.page, 'pos-check-en');

  // Till B sees who has it, and that another till opened it.
  await onB.click();
  const panel = b.page.getByTestId('table-panel');
  await expect(panel).toContainText('Demo Cashier');
  await expect(panel.getByTestId('locked-elsewhere')).toContainText('another till');
  await shoot(b.page, 'pos-floor-en');

  // The kitchen bumps it: food ready on both tills.
  const tables = await call<any[]>(`/api/branches/${state().branchId}/floor`, manager);
  const order = tables.find((t) => t.id === free.id)!.orders[0];
  for (const t of await call<any[]>(`/api/orders/${order.id}/kitchen-tickets`, manager)) await call(`/api/kitchen/tickets/${t.id}/bump`, manager, {});
  await expect(onB).toHaveAttribute('data-state', 'food_ready');
  await expect(a.page.getByRole('button', { name: 'Tables', exact: true })).toBeVisible();

  // In Arabic, the same floor.
  await b.page.goto(`${state().baseURL}/ar/pos`);
  await b.page.getByRole('button', { name: 'الطاولات', exact: true }).click();
  await expect(b.page.getByTestId('floor-plan').locator(`[data-table="${free.label}"]`)).toHaveAttribute('data-state', 'food_ready');
  await shoot(b.page, 'pos-floor-ar');
  await b.page.getByRole('button', { name: 'تعديل المخطط' }).click();
  await expect(b.page.getByTestId('floor-editor')).toBeVisible();
  await shoot(b.page, 'pos-floor-edit-ar');
  await b.page.getByRole('button', { name: 'إلغاء' }).click();
  await b.page.goto(`${state().baseURL}/en/pos`);

  // The manager moves another table on the plan and saves it.
  await floorOf(b.page);
  await b.page.getByRole('button', { name: 'Edit layout' }).click();
  const other = floor.find((t) => t.id !== free.id && (t.floorArea ?? '') === area)!;
  const tile = b.page.getByTestId('floor-editor').locator(`[data-table="${other.label}"]`);
  const box = (await tile.boundingBox())!;
  await b.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await b.page.mouse.down();
  await b.page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 10, { steps: 5 });
  await b.page.mouse.up();
  await shoot(b.page, 'pos-floor-edit-en');
  await b.page.getByRole('button', { name: 'Save the plan' }).click();
  await expect(b.page.getByTestId('floor-plan')).toBeVisible();
  const after = (await call<any[]>(`/api/branches/${state().branchId}/floor`, manager)).find((t) => t.id === other.id)!;
  expect(after.x).toBeGreaterThan(other.x);

  // The party pays and leaves: the table is free again.
  await call(`/api/orders/${order.id}/payments`, manager, { method: 'cash', tendered: 100000 }, 'POST', { 'idempotency-key': crypto.randomUUID() });
  const seated = (await call<any[]>(`/api/branches/${state().branchId}/floor`, manager)).find((t) => t.id === free.id)!;
  await call(`/api/table-sessions/${seated.session.id}/close`, manager, {});
  await expect(onB).toHaveAttribute('data-state', 'free');
  await a.context.close();
  await b.context.close();
});

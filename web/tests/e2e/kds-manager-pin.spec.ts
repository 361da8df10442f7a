// A manager's PIN for one action on the kitchen screen, in English and in Arabic: with the
// branch's recall window at zero, recalling a bumped ticket needs a manager, the screen asks for
// their PIN in a dialog (a cashier's PIN is refused next to the pad), the manager's PIN recalls
// the ticket and closes the dialog, and the next late recall asks again.
import { test, expect, type Page } from '@playwright/test';
import { readState, login, call } from './server';
import { shoot } from './shots';
import { openKitchenDisplay } from './till';

const state = () => readState();

/** An accepted takeaway order of fries at Riyadh: one fryer ticket on the kitchen screen. */
async function friesOrder(cashier: string): Promise<number> {
  const { branchId } = state();
  const menu = await (await fetch(`${state().baseURL}/api/branches/${branchId}/menu`)).json();
  const fries = menu.menus.flatMap((m: any) => m.categories).flatMap((c: any) => c.items).find((i: any) => i.name === 'French Fries');
  // The required choices (the size), defaults first, as a cashier would leave them.
  const options = (fries.modifierGroupIds ?? []).flatMap((id: string) => {
    const g = menu.modifierGroups.find((x: any) => x.id === id);
    return [...g.options].sort((a: any, b: any) => Number(!!b.default) - Number(!!a.default)).slice(0, g.minSelect).map((o: any) => o.id);
  });
  const order = await call('/api/orders', cashier, { branchId, type: 'takeaway', lines: [{ productId: fries.id, options, quantity: 1 }] }, 'POST', {
    'idempotency-key': crypto.randomUUID(),
  });
  await call(`/api/orders/${order.id}/status`, cashier, { status: 'accepted' });
  return order.number;
}

async function typePin(page: Page, digits: string) {
  const dialog = page.getByTestId('manager-pin');
  for (const d of digits) await dialog.getByRole('button', { name: d, exact: true }).click();
}

test.describe.serial('a manager approves one action on the kitchen screen', () => {
  let manager = '';
  let cashier = '';

  test.beforeAll(async () => {
    manager = await login(state().baseURL, 'manager@demo.sous.test');
    cashier = await login(state().baseURL, 'cashier@demo.sous.test');
    await call(`/api/branches/${state().branchId}/kitchen/settings`, manager, { recallSeconds: 0 }, 'PUT');
  });

  test.afterAll(async () => {
    // The other specs recall within the demo's usual window.
    await call(`/api/branches/${state().branchId}/kitchen/settings`, manager, { recallSeconds: 120 }, 'PUT');
  });

  test('a late recall takes a manager PIN in English and in Arabic, one recall at a time', async ({ browser }) => {
    const { baseURL } = state();
    const { context, kds } = await openKitchenDisplay(browser);

    const number = await friesOrder(cashier);
    const ticket = kds.getByTestId('tickets').locator(`[data-order-number="${number}"]`);
    await expect(ticket).toBeVisible();
    await ticket.getByRole('button', { name: 'Bump' }).click();
    await expect(ticket).toHaveCount(0);

    // Past the window: the recall opens the manager's PIN dialog instead of failing.
    await kds.getByRole('button', { name: 'Recall last' }).click();
    const dialog = kds.getByTestId('manager-pin');
    await expect(dialog.getByRole('heading', { name: 'A manager must approve' })).toBeVisible();
    await expect(dialog).toContainText(`Recall ticket #${number}`);
    await expect(dialog.getByLabel("Manager's PIN")).toBeVisible();
    // A cashier's PIN approves nothing; the refusal is shown next to the pad.
    await typePin(kds, '3333');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await expect(dialog.getByRole('alert')).toHaveText("That PIN is not a manager's at this branch.");
    await expect(ticket).toHaveCount(0);
    await shoot(kds, 'kds-manager-pin-en');
    await typePin(kds, '2222');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(ticket).toHaveAttribute('data-status', 'started');

    // In Arabic, after the cook signs in again on their tile: the same, right to left.
    await ticket.getByRole('button', { name: 'Bump' }).click();
    await expect(ticket).toHaveCount(0);
    await expect(kds.getByTestId('bumped').locator(`[data-order-number="${number}"]`)).toContainText('bumped');
    await kds.getByRole('button', { name: 'Sign out' }).click();
    const ar = await context.newPage();
    await ar.goto(`${baseURL}/ar/kds`);
    await expect(ar.locator('html')).toHaveAttribute('dir', 'rtl');
    await expect(ar.getByRole('heading', { name: 'من يسجل الدخول؟' })).toBeVisible();
    await expect(ar.getByTestId('staff-tiles').getByRole('button', { name: 'Demo Cashier' })).toBeVisible();
    await shoot(ar, 'kds-sign-in-ar');
    await ar.getByTestId('staff-tiles').getByRole('button', { name: 'Demo Kitchen' }).click();
    for (const d of '٥٥٥٥') await ar.getByRole('button', { name: d, exact: true }).click();
    await ar.getByRole('button', { name: 'دخول' }).click();
    await expect(ar.getByRole('heading', { name: 'شاشة المطبخ' })).toBeVisible();

    const second = await friesOrder(cashier);
    const arTicket = ar.getByTestId('tickets').locator(`[data-order-number="${second}"]`);
    await expect(arTicket).toBeVisible();
    await arTicket.getByRole('button', { name: 'تم', exact: true }).click();
    await expect(arTicket).toHaveCount(0);
    await ar.getByRole('button', { name: 'استرجاع الأخير' }).click();
    const arDialog = ar.getByTestId('manager-pin');
    await expect(arDialog.getByRole('heading', { name: 'يلزم اعتماد المدير' })).toBeVisible();
    await expect(arDialog).toHaveAttribute('dir', 'rtl');
    await expect(arDialog.getByLabel('الرمز السري للمدير')).toBeVisible();
    await typePin(ar, '٩٠٩٠');
    await arDialog.getByRole('button', { name: 'اعتماد' }).click();
    await expect(arDialog.getByRole('alert')).toHaveText('هذا الرمز ليس لمدير في هذا الفرع.');
    await shoot(ar, 'kds-manager-pin-ar');
    await typePin(ar, '٢٢٢٢');
    await arDialog.getByRole('button', { name: 'اعتماد' }).click();
    await expect(arDialog).toHaveCount(0);
    await expect(arTicket).toHaveAttribute('data-status', 'started');

    // The approval was for that recall only: the next late one asks again, here from the list
    // of recently bumped tickets.
    await arTicket.getByRole('button', { name: 'تم', exact: true }).click();
    await expect(arTicket).toHaveCount(0);
    const recent = ar.getByTestId('bumped').locator(`[data-order-number="${second}"]`);
    await expect(recent).toBeVisible();
    await recent.getByRole('button', { name: `استرجاع التذكرة رقم ${new Intl.NumberFormat('ar-SA').format(second)}` }).click();
    await expect(arDialog.getByRole('heading', { name: 'يلزم اعتماد المدير' })).toBeVisible();
    await arDialog.getByRole('button', { name: 'إلغاء' }).click();
    await expect(arDialog).toHaveCount(0);
    await context.close();
  });
});

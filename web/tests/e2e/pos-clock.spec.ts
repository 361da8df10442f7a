// Clocking in and out on the till, in English and Arabic: the cashier clocks in, takes a break and
// clocks out; the manager, on the same till, sees the cashier's shift in the branch's day.
import { test, expect } from '@playwright/test';
import { readState } from './server';
import { openTill, signIn } from './till';
import { shoot } from './shots';

test('a cashier clocks in, takes a break and clocks out; the manager sees the shift', async ({ browser }) => {
  const { context, page } = await openTill(browser, 'cashier', 'en', 'Clock till');
  await page.getByRole('button', { name: 'Time clock', exact: true }).click();
  const status = page.getByTestId('clock-status');
  await expect(status).toHaveAttribute('data-status', 'off');
  await page.getByRole('button', { name: 'Clock in' }).click();
  await expect(status).toHaveAttribute('data-status', 'on');
  await page.getByRole('button', { name: 'Start break' }).click();
  await expect(status).toHaveAttribute('data-status', 'on_break');
  await shoot(page, 'pos-clock-en');
  await page.goto(`${readState().baseURL}/ar/pos`);
  await page.getByRole('button', { name: 'الدوام', exact: true }).click();
  await expect(page.getByTestId('clock-status')).toContainText('في استراحة منذ');
  await shoot(page, 'pos-clock-ar');
  await page.getByRole('button', { name: 'إنهاء الاستراحة' }).click();
  await expect(page.getByTestId('clock-status')).toHaveAttribute('data-status', 'on');
  await page.getByRole('button', { name: 'تسجيل الانصراف' }).click();
  await expect(page.getByTestId('clock-status')).toHaveAttribute('data-status', 'off');

  // The manager switches in on the same till and sees the cashier's shift today.
  await page.goto(`${readState().baseURL}/en/pos`);
  await page.getByRole('button', { name: 'Switch staff' }).click();
  await signIn(page, 'manager');
  await page.getByRole('button', { name: 'Time clock', exact: true }).click();
  await expect(page.getByTestId('time-sheet')).toContainText('Demo Cashier');
  await context.close();
});

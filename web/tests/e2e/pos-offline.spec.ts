// The till keeps selling when the network drops, and loses and duplicates nothing. On a server of
// its own (so it can be stopped and started again on the same port, the till's origin):
// (1) offline, three cash orders are taken; the page is reloaded while offline and the till opens
//     (its PIN checked on the till); back online, the three orders reach the server exactly once,
//     with their offline numbers, and the kitchen gets them;
// (2) the same while the server dies in the middle of the replay, after it placed an order whose
//     answer never arrived, and the till is reloaded with the server gone: after the restart every
//     order exists exactly once.
import { test, expect, type Page } from '@playwright/test';
import { launch, halt, type Launched } from './server';
import { budget, openTill, signIn } from './till';
import { shoot } from './shots';

let server: Launched;
// The offline range of the first test's till, which the second till must not share.
let firstPrefix = '';

async function token(): Promise<string> {
  const res = await fetch(`${server.baseURL}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'manager@demo.sous.test', password: 'sous-demo-2026' }),
  });
  return (await res.json()).accessToken;
}

async function offlineOrders(): Promise<any[]> {
  const t = await token();
  const brand = await (await fetch(`${server.baseURL}/api/brands/demo`)).json();
  const branchId = brand.branches.find((b: any) => b.name.startsWith('Riyadh')).id;
  const res = await fetch(`${server.baseURL}/api/orders?branchId=${branchId}&limit=200`, { headers: { authorization: `Bearer ${t}` } });
  return ((await res.json()) as any[]).filter((o) => (o.notes ?? '').includes('Taken offline at'));
}

const WORDS = {
  en: { takeaway: 'Takeaway', pay: 'Pay', exact: /^Exact/, close: 'Close', saved: 'saved on this till' },
  ar: { takeaway: 'سفري', pay: 'دفع', exact: /^المبلغ بالضبط/, close: 'إغلاق', saved: 'حُفظ الطلب' },
};

/** A takeaway of one dish, paid with the exact cash. */
async function cashOrder(page: Page, dish: string, lang: 'en' | 'ar' = 'en') {
  const w = WORDS[lang];
  await page.getByRole('radio', { name: w.takeaway }).click();
  await page.getByTestId('till-items').getByRole('button', { name: dish, exact: true }).click();
  await page.getByRole('button', { name: w.pay, exact: true }).click();
  const tender = page.getByTestId('tender');
  await tender.getByRole('button', { name: w.exact }).click();
  await expect(tender.getByTestId('paid-in-full')).toBeVisible();
  await tender.getByRole('button', { name: w.close, exact: true }).click();
  await expect(page.getByTestId('till-notice')).toContainText(w.saved);
}

/** The offline numbers (`T<till>-<n>`) the orders were printed with. */
const refsOf = (orders: any[]) => orders.map((o) => /· (T\d+-\d+)/.exec(o.notes)?.[1] ?? '').sort();

/** After a reload without the server: the PIN screen from the till's own copy, the PIN checked
 *  here, the check screen. */
async function reopen(page: Page) {
  await page.reload();
  await signIn(page, 'cashier');
  await expect(page.getByRole('heading', { name: 'Check' })).toBeVisible();
}

test.describe.serial('the till offline', () => {
  test.beforeAll(async () => {
    server = await launch();
  });
  test.afterAll(async () => {
    if (server) await halt(server);
  });

  test('three cash orders offline, a reload offline, each order on the server once', async ({ browser }) => {
    const { context, page } = await openTill(browser, 'cashier', 'en', 'Front counter', server.baseURL);
    await expect(page.evaluate(() => navigator.serviceWorker.ready.then(() => true))).resolves.toBe(true);
    await context.setOffline(true);
    for (const dish of ['Fattoush', 'Hummus', 'Coleslaw']) await cashOrder(page, dish);
    await expect(page.getByTestId('offline-banner')).toContainText('Not yet sent: 3');
    await shoot(page, 'pos-offline-en');

    await reopen(page);
    await expect(page.getByTestId('offline-banner')).toContainText('Not yet sent: 3');
    await context.setOffline(false);
    await expect(page.getByTestId('offline-banner')).toHaveCount(0, { timeout: 20_000 });

    const orders = await offlineOrders();
    expect(orders).toHaveLength(3);
    expect(new Set(orders.map((o) => o.clientRef)).size).toBe(3);
    const refs = refsOf(orders);
    expect(refs.map((r) => r.split('-')[1])).toEqual(['1', '2', '3']);
    firstPrefix = refs[0]!.split('-')[0]!;
    expect(new Set(refs.map((r) => r.split('-')[0]))).toEqual(new Set([firstPrefix]));
    for (const o of orders) {
      expect(o.status).toBe('accepted');
      expect(o.notes).toContain('Demo Cashier');
      expect(o.due).toBe(0);
      const tickets = await (await fetch(`${server.baseURL}/api/orders/${o.id}/kitchen-tickets`, { headers: { authorization: `Bearer ${await token()}` } })).json();
      expect(tickets.length).toBeGreaterThan(0);
    }
    await page.getByRole('button', { name: 'Offline report' }).click();
    await expect(page.getByTestId('offline-report')).toContainText('Demo Cashier');
    await context.close();
  });

  test('the server dies in the middle of the replay and the till reloads without it: still exactly once', async ({ browser }) => {
    const { context, page } = await openTill(browser, 'cashier', 'en', 'Second counter', server.baseURL);
    await expect(page.evaluate(() => navigator.serviceWorker.ready.then(() => true))).resolves.toBe(true);
    await context.setOffline(true);
    for (const dish of ['Tabbouleh', 'Laban', 'Luqaimat']) await cashOrder(page, dish);

    // The second order of the replay reaches the server and is placed; then the server stops and
    // its answer never arrives.
    let placed = 0;
    await context.route('**/api/orders', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      placed += 1;
      if (placed !== 2) return route.continue();
      await route.fetch();
      await halt(server);
      await route.abort('connectionrefused');
    });
    await context.setOffline(false);
    await expect.poll(() => server.child.exitCode !== null, { timeout: 20_000 }).toBe(true);
    await expect(page.getByTestId('offline-banner')).toContainText('2');

    // A reload with the server gone: the service worker opens the till, its PIN screen ready to
    // take a PIN within a second.
    const t0 = Date.now();
    await page.reload({ waitUntil: 'commit' });
    await expect(page.getByTestId('staff-tiles').getByRole('button', { name: 'Demo Cashier' })).toBeEnabled();
    const coldStart = Date.now() - t0;
    console.log(`till cold start offline → PIN screen: ${coldStart} ms`);
    budget('cold-start-offline-ms', coldStart);
    expect(coldStart).toBeLessThan(1000);
    await signIn(page, 'cashier');
    await expect(page.getByRole('heading', { name: 'Check' })).toBeVisible();
    await shoot(page, 'pos-offline-reload-en');
    await context.unroute('**/api/orders');
    server = await launch({ dataDir: server.dataDir, port: server.port });
    await expect(page.getByTestId('offline-banner')).toHaveCount(0, { timeout: 30_000 });

    const orders = await offlineOrders();
    expect(orders).toHaveLength(6);
    expect(new Set(orders.map((o) => o.clientRef)).size).toBe(6);
    // Two tills offline print from ranges of their own.
    const prefixes = new Set(refsOf(orders).map((r) => r.split('-')[0]));
    expect(prefixes.size).toBe(2);
    expect(prefixes.has(firstPrefix)).toBe(true);
    await context.close();
  });

  test('in Arabic: the banner counts the order kept on the till, and it is sent once back online', async ({ browser }) => {
    const { context, page } = await openTill(browser, 'cashier', 'ar', 'Third counter', server.baseURL);
    await expect(page.evaluate(() => navigator.serviceWorker.ready.then(() => true))).resolves.toBe(true);
    await context.setOffline(true);
    await cashOrder(page, 'فتوش', 'ar');
    await expect(page.getByTestId('offline-banner')).toContainText('لم يُرسل بعد: ١');
    await shoot(page, 'pos-offline-ar');
    await context.setOffline(false);
    await expect(page.getByTestId('offline-banner')).toHaveCount(0, { timeout: 20_000 });
    expect(await offlineOrders()).toHaveLength(7);
    await context.close();
  });
});

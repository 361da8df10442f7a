// What the browser enforces and keeps: every page comes with a Content-Security-Policy that
// nothing on the main pages violates, and after signing in (a customer on the website, a cook
// on the kitchen screen, a guest at a table) no token is in localStorage or in a cookie a
// script can read — yet a reload keeps the session.
import { test, expect, type BrowserContext, type Page, type Response } from '@playwright/test';
import { readState } from './server';

/** Records CSP violations (the DOM event, and Chromium's console report) of every page. */
async function watchViolations(context: BrowserContext): Promise<string[]> {
  const seen: string[] = [];
  await context.exposeFunction('__cspViolation', (v: string) => seen.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as any).__cspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  context.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) seen.push(m.text());
  });
  return seen;
}

function expectPolicy(res: Response | null) {
  expect(res, 'a page answer').not.toBeNull();
  const h = res!.headers();
  const csp = h['content-security-policy'] ?? '';
  const directives = Object.fromEntries(
    csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0], d.split(/\s+/).slice(1)]),
  );
  expect(directives['frame-ancestors'], csp).toEqual(["'none'"]);
  expect(directives['object-src'], csp).toEqual(["'none'"]);
  expect(directives['base-uri'], csp).toEqual(["'self'"]);
  expect(directives['connect-src'], csp).toEqual(["'self'"]);
  expect(directives['default-src'], csp).toEqual(["'none'"]);
  // Scripts: the app's own files and the hashes of Astro's inline scripts, nothing else.
  const scripts = directives['script-src'] ?? [];
  expect(scripts[0], csp).toBe("'self'");
  expect(scripts.slice(1).every((s) => /^'sha256-[A-Za-z0-9+/=]+'$/.test(s)), csp).toBe(true);
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['referrer-policy']).toBe('same-origin');
}

/** Neither localStorage nor a cookie a script can read holds a token of `tokens`, nor anything
 *  shaped like one (a JWT, a 32-byte base64url refresh token). */
async function expectNoReadableToken(page: Page, tokens: string[]) {
  const stored: [string, string][] = await page.evaluate(() => Object.entries(localStorage));
  const cookies = await page.context().cookies();
  const readable = [...stored.map(([k, v]) => `${k}=${v}`), ...cookies.filter((c) => !c.httpOnly).map((c) => `${c.name}=${c.value}`)];
  for (const value of readable) {
    expect(value).not.toMatch(/eyJ[A-Za-z0-9_-]+\.|[A-Za-z0-9_-]{43}/);
    for (const t of tokens) expect(value).not.toContain(t);
  }
  expect(await page.evaluate(() => document.cookie)).not.toMatch(/sous_refresh/);
}

/** The access token of the first answer of `path` (a sign-in), which must not carry the refresh token. */
async function signInAnswer(page: Page, path: string): Promise<() => Promise<string>> {
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === 'POST');
  return async () => {
    const body = await (await answer).json();
    expect(body.refreshToken, 'the page never sees the refresh token').toBeUndefined();
    return body.accessToken;
  };
}

test('pages carry the policy and the main pages run without a violation', async ({ browser }) => {
  const { baseURL, tables } = readState();
  const context = await browser.newContext();
  const violations = await watchViolations(context);
  const page = await context.newPage();

  expectPolicy(await page.goto(`${baseURL}/en/`));
  await expect(page.locator('[data-branch]').first()).toBeVisible();

  expectPolicy(await page.goto(`${baseURL}/ar/menu/burgers`));
  await page.getByLabel('ابحث في القائمة').fill('شاورما');
  await expect(page.getByTestId('search-results').locator('[data-result] mark').first()).toBeVisible();

  // QR table ordering, to the order page.
  expectPolicy(await page.goto(`${baseURL}/en/t/${tables[3]!.qrToken}`));
  await expect(page.locator('[data-cart] [data-link="live"]')).toBeVisible();
  await page.getByRole('button', { name: 'Add: Chicken Shawarma', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: /Add to order/ }).click();
  await expect(page.getByTestId('cart-lines').locator('[data-line]')).toHaveCount(1);
  const orderPage = page.waitForResponse((r) => /\/en\/order\/[0-9a-f-]{36}/.test(r.url()) && r.request().resourceType() === 'document');
  await page.getByRole('button', { name: 'Order and pay at the counter' }).click();
  expectPolicy(await orderPage);
  // The branch accepts QR orders as they are placed.
  await expect(page.getByTestId('order-status')).toHaveText('Accepted');
  await expect(page.locator('[data-link="live"]')).toBeVisible();

  expectPolicy(await page.goto(`${baseURL}/en/order?type=pickup`));
  await page.locator('astro-island:not([ssr]) [data-auth="signed-out"]').waitFor();
  expectPolicy(await page.goto(`${baseURL}/en/kds`));
  await page.locator('astro-island:not([ssr])').getByLabel('Email').waitFor();
  expectPolicy(await page.goto(`${baseURL}/ar/pos`));
  await page.locator('astro-island:not([ssr])').getByLabel('البريد الإلكتروني').waitFor();

  expect(violations).toEqual([]);
  await context.close();
});

test('no other site may frame a page', async ({ page }) => {
  const { baseURL } = readState();
  const refused = page.waitForEvent('console', (m) => /frame-ancestors/.test(m.text()));
  await page.setContent(`<iframe src="${baseURL}/en/"></iframe>`);
  await refused;
  const framed = page.frames().find((f) => f !== page.mainFrame());
  await expect.poll(async () => framed?.locator('[data-branch]').count().catch(() => 0)).toBe(0);
});

test('a customer session survives a reload with no token readable by scripts', async ({ browser }) => {
  const { baseURL } = readState();
  const context = await browser.newContext();
  const violations = await watchViolations(context);
  const page = await context.newPage();
  await page.goto(`${baseURL}/en/order?type=pickup`);
  await page.locator('astro-island:not([ssr]) [data-auth="signed-out"]').waitFor();
  const access = await signInAnswer(page, '/api/auth/login');
  await page.getByLabel('Email').fill('guest@demo.sous.test');
  await page.getByLabel('Password').fill('sous-demo-2026');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('[data-auth="signed-in"]')).toContainText('Signed in as');
  const token = await access();

  const refresh = (await context.cookies()).find((c) => c.name === 'sous_refresh_customer');
  expect(refresh, 'the refresh token is a cookie').toBeDefined();
  expect(refresh!.httpOnly).toBe(true);
  expect(refresh!.sameSite).toBe('Strict');
  expect(refresh!.path).toBe('/api/auth');
  await expectNoReadableToken(page, [token, refresh!.value]);

  await page.reload();
  await expect(page.locator('[data-auth="signed-in"]')).toContainText('Signed in as');
  await expect(page.locator('[data-cart] [data-link="live"]')).toBeVisible();
  await expectNoReadableToken(page, [token, refresh!.value]);

  // Signing out ends it: after a reload the form is back.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.locator('[data-auth="signed-out"]')).toBeVisible();
  await page.reload();
  await page.locator('astro-island:not([ssr]) [data-auth="signed-out"]').waitFor();
  expect((await context.cookies()).find((c) => c.name === 'sous_refresh_customer')).toBeUndefined();
  expect(violations).toEqual([]);
  await context.close();
});

test('a table guest and a cook keep their sessions over a reload, tokens out of reach', async ({ browser }) => {
  const { baseURL, tables } = readState();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const violations = await watchViolations(context);

  // A guest at a table: the session the join started is moved into its cookie at once.
  const guest = await context.newPage();
  await guest.goto(`${baseURL}/en/t/${tables[4]!.qrToken}`);
  await expect(guest.locator('[data-cart] [data-link="live"]')).toBeVisible();
  await guest.getByRole('button', { name: 'Add: Chicken Shawarma', exact: true }).click();
  await guest.getByRole('dialog').getByRole('button', { name: /Add to order/ }).click();
  await expect(guest.getByTestId('cart-lines')).toContainText('added by you');
  expect((await context.cookies()).find((c) => c.name === 'sous_refresh_guest')?.httpOnly).toBe(true);
  await expectNoReadableToken(guest, []);
  await guest.reload();
  await expect(guest.getByTestId('cart-lines')).toContainText('added by you');
  await expectNoReadableToken(guest, []);

  // A cook on a kitchen screen.
  const kds = await context.newPage();
  await kds.goto(`${baseURL}/en/kds`);
  await kds.locator('astro-island:not([ssr])').getByLabel('Email').waitFor();
  await kds.getByLabel('Email').fill('manager@demo.sous.test');
  await kds.getByLabel('Password').fill('sous-demo-2026');
  await kds.getByRole('button', { name: 'Sign in' }).click();
  await kds.getByRole('button', { name: 'Register this tablet' }).first().click();
  const access = await signInAnswer(kds, '/api/auth/pin');
  await kds.getByTestId('staff-tiles').getByRole('button', { name: 'Demo Kitchen' }).click();
  for (const d of '5555') await kds.getByRole('button', { name: d, exact: true }).click();
  await kds.getByRole('button', { name: 'Sign in' }).click();
  await expect(kds.getByRole('heading', { name: 'Kitchen display' })).toBeVisible();
  const token = await access();
  const cookie = (await context.cookies()).find((c) => c.name === 'sous_refresh_kds');
  expect(cookie?.httpOnly).toBe(true);
  await expectNoReadableToken(kds, [token, cookie!.value]);
  await kds.reload();
  await expect(kds.getByRole('heading', { name: 'Kitchen display' })).toBeVisible();
  await expect(kds.locator('[data-link="live"]')).toBeVisible();
  await expectNoReadableToken(kds, [token, cookie!.value]);
  expect(violations).toEqual([]);
  await context.close();
});

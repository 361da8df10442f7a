// Screenshots of each surface for docs/screenshots/ (README links them). Taken by the browser
// tests when SOUS_SCREENSHOTS is set (`make screenshots`), so a normal test run writes nothing.
import type { Page } from '@playwright/test';
import { join } from 'node:path';
import { REPO } from './server';

export async function shoot(page: Page, name: string) {
  if (!process.env.SOUS_SCREENSHOTS) return;
  await page.screenshot({ path: join(REPO, 'docs', 'screenshots', `${name}.png`), fullPage: false });
}

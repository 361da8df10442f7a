// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';
import react from '@astrojs/react';
import solid from '@astrojs/solid-js';

// React islands live in components/react, the Solid MenuBrowser in components/solid: the
// include patterns tell the two JSX integrations apart.
export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  integrations: [react({ include: ['**/react/*'] }), solid({ include: ['**/solid/*'] })],
  // The API checks its own requests; Astro serves pages only (no form actions).
  security: { checkOrigin: false },
  server: { host: '127.0.0.1' },
});

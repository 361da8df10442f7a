// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';
import react from '@astrojs/react';
import solid from '@astrojs/solid-js';

// React islands live in components/react (the till in components/react/pos), the Solid MenuBrowser in components/solid: the
// include patterns tell the two JSX integrations apart.
export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  integrations: [react({ include: ['**/react/*', '**/react/pos/*'] }), solid({ include: ['**/solid/*'] })],
  // The API checks its own requests; Astro serves pages only (no form actions).
  security: { checkOrigin: false },
  // The pages' Content-Security-Policy, sent as a header with every page (docs/web.md): Astro
  // adds script-src and style-src with the hash of every inline script and style it emits
  // (the island loader, the hydration directives) and 'self' for the bundles; nothing else may
  // run. Everything the app loads is its own: images from the API's media, the bundled fonts,
  // the API itself.
  experimental: {
    csp: {
      directives: [
        "default-src 'none'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
      ],
      // One inline script Astro emits on pages with several islands is not in its own list
      // (Chromium reports this hash for it); the browser test fails if it changes.
      scriptDirective: { hashes: ['sha256-VmEf2BGdqVUwcvyhTyarJo/bY7DNqS2+T2sz4IO/kbw='] },
    },
  },
  server: { host: '127.0.0.1' },
});

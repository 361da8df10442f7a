// Adds to the page's Content-Security-Policy what Astro's configuration cannot express: the
// islands and server-rendered markup position things with style attributes, which style-src
// (hashes only) would refuse. Attributes cannot run script; <style> elements stay hashed.
import { defineMiddleware } from 'astro/middleware';

export const STYLE_ATTRIBUTES = "style-src-attr 'unsafe-inline'";

export const onRequest = defineMiddleware(async (_context, next) => {
  const res = await next();
  const csp = res.headers.get('content-security-policy');
  if (csp && !csp.includes('style-src-attr')) {
    res.headers.set('content-security-policy', `${csp.replace(/;?\s*$/, ';')} ${STYLE_ATTRIBUTES};`);
  }
  return res;
});

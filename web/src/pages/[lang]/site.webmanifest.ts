// The website's web app manifest, per language: the brand's name and the icon, so a guest who
// adds the site to a phone's home screen gets the brand, in their language and direction.
import type { APIRoute } from 'astro';
import { isLang, dir, pick, t } from '../../i18n';
import { currentBrand } from '../../lib/server';

export const GET: APIRoute = async ({ params }) => {
  const lang = params.lang;
  if (!isLang(lang)) return new Response(null, { status: 404 });
  const brand = await currentBrand().catch(() => null);
  const name = brand ? pick(lang, brand.name, brand.nameAr) : 'sous';
  const manifest = {
    name,
    short_name: name,
    description: t(lang).brandTagline,
    lang,
    dir: dir(lang),
    start_url: `/${lang}/`,
    scope: `/${lang}/`,
    display: 'standalone',
    background_color: '#fbfaf7',
    theme_color: '#9a3412',
    icons: [
      { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml' },
      { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
      { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
    ],
  };
  return new Response(JSON.stringify(manifest), {
    headers: { 'content-type': 'application/manifest+json', 'cache-control': 'public, max-age=300' },
  });
};

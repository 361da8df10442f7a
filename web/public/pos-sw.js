// The till's service worker: it keeps what the till needs to open and sell without the server.
// The till's pages are read from the network first and from the cache when the server cannot be
// reached; the built scripts, styles and fonts (their names carry a content hash, so they never
// change) come from the cache first. The branch's menu and the staff tiles are kept by the page
// itself in IndexedDB. Nothing else of the site is touched: other requests go to the network as
// if there were no worker.
const CACHE = 'sous-pos-v1';
const PAGES = ['/en/pos', '/ar/pos'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => Promise.all(PAGES.map((p) => cache.add(new Request(p, { credentials: 'same-origin' })).catch(() => {}))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('sous-pos-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

// The page names what it loaded before the worker controlled it (the island's chunks).
self.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || data.type !== 'keep' || !Array.isArray(data.urls)) return;
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(
        data.urls
          .map((u) => new URL(u, self.location.origin))
          .filter((u) => u.origin === self.location.origin && (u.pathname.startsWith('/_astro/') || PAGES.includes(u.pathname)))
          .map((u) => cache.match(u.pathname).then((hit) => hit || cache.add(u.pathname).catch(() => {}))),
      ),
    ),
  );
});

function isPage(url) {
  return PAGES.includes(url.pathname.replace(/\/$/, ''));
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(key, response.clone());
    return response;
  } catch (err) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(new URL(request.url).pathname);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) cache.put(new URL(request.url).pathname, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && isPage(url)) {
    event.respondWith(networkFirst(request, url.pathname.replace(/\/$/, '')));
  } else if (url.pathname.startsWith('/_astro/')) {
    event.respondWith(cacheFirst(request));
  }
});

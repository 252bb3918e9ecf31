// The door's service worker (issue 7), rendered by /staff/door-sw.js: its scope is /staff/.
// - Pre-caches the door's assets; the cache's name carries a hash of their contents, and a new
//   version deletes the caches of the old ones.
// - The staff home and each door page: network first with a short time-out, each good answer
//   kept; without the network (or too slow), the copy kept.
// - Everything else, the API above all, goes to the network untouched: door.js decides what to
//   do without it (door-offline.js).
"use strict";
const VERSION = {{ version|tojson }};
const ASSETS = {{ assets|tojson }};
const HOME = {{ home|tojson }};
const DOOR_PREFIX = {{ door_prefix|tojson }};
const ASSET_CACHE = "door-assets-" + VERSION;
const PAGE_CACHE = "door-pages-" + VERSION;
const PAGE_TIMEOUT_MS = 3000;
const DOOR_PAGE = new RegExp("^" + DOOR_PREFIX.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "\\d+$");

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(ASSET_CACHE);
    // Straight from the server, not from the HTTP cache: the version hash is of these contents.
    await cache.addAll(ASSETS.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    const old = names.filter((name) => name.startsWith("door-") && name !== ASSET_CACHE && name !== PAGE_CACHE);
    // The pages kept by the old version still serve offline until this version has its own.
    const pages = await caches.open(PAGE_CACHE);
    for (const name of old.filter((n) => n.startsWith("door-pages-"))) {
      const previous = await caches.open(name);
      for (const request of await previous.keys()) {
        if (!(await pages.match(request))) await pages.put(request, await previous.match(request));
      }
    }
    await Promise.all(old.map((name) => caches.delete(name)));
    await self.clients.claim();
    // The page that installed this worker loaded before it: keep it now, and the staff home,
    // so that they open offline without another visit first.
    const open = (await self.clients.matchAll({ type: "window" })).map((client) => new URL(client.url));
    const wanted = new Set([self.location.origin + HOME, ...open.filter(isKeptPage).map((url) => url.origin + url.pathname)]);
    await Promise.all([...wanted].map((url) => keep(pages, new Request(url, { credentials: "same-origin" })).catch(() => null)));
  })());
});

// Fetch a page and keep the answer if it is the page itself: not the login page that a lapsed
// session is redirected to, nor an error, nor a page with a query (`?walkin=…` shows a verdict
// that must not come back on an offline reload).
async function keep(cache, request) {
  const response = await fetch(request);
  if (response.ok && !response.redirected && response.type === "basic" && !new URL(response.url).search) {
    const url = new URL(response.url);
    await cache.put(url.origin + url.pathname, response.clone());
  }
  return response;
}

function isKeptPage(url) {
  return url.origin === self.location.origin && (url.pathname === HOME || DOOR_PAGE.test(url.pathname));
}

// A page: the network's answer if it comes within the time-out, else the kept copy; with no
// copy, wait for the network after all.
async function page(request) {
  const url = new URL(request.url);
  const key = url.origin + url.pathname; // ?walkin=… shows the same page
  const cache = await caches.open(PAGE_CACHE);
  const network = keep(cache, request);
  network.catch(() => { /* answered from the cache below */ });
  const late = new Promise((resolve) => setTimeout(resolve, PAGE_TIMEOUT_MS, "late"));
  try {
    const first = await Promise.race([network, late]);
    if (first !== "late") return first;
  } catch (error) {
    // No network: the copy below.
  }
  const kept = await cache.match(key, { ignoreVary: true });
  return kept || network;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (request.mode === "navigate" && isKeptPage(url)) {
    event.respondWith(page(request));
    return;
  }
  if (url.origin === self.location.origin && ASSETS.includes(url.pathname)) {
    event.respondWith((async () => {
      const cache = await caches.open(ASSET_CACHE);
      return (await cache.match(url.pathname, { ignoreVary: true })) || fetch(request);
    })());
  }
});

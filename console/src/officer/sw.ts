/**
 * The officer app's service worker (/app/sw.js, scope /app/). It keeps the app shell (page,
 * script, style, icons) in the cache, so the app opens at once and on a dead network; API calls
 * always go to the network (the photo queue handles their failures). It shows Web Push notices
 * of new orders. SHELL and VERSION are filled in by console/build.ts.
 */
declare const SHELL: string[];
declare const VERSION: string;

/** The parts of ServiceWorkerGlobalScope used here (the DOM typings the console builds with lack them). */
interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(r: Promise<Response>): void;
}
interface PushEvent extends ExtendableEvent {
  data: { json(): unknown } | null;
}
interface NotificationEvent extends ExtendableEvent {
  notification: Notification;
}
interface WorkerScope {
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
  addEventListener(type: 'push', fn: (e: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', fn: (e: NotificationEvent) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void>; openWindow(url: string): Promise<unknown> };
  registration: { showNotification(title: string, opts: NotificationOptions): Promise<void> };
}

const sw = self as unknown as WorkerScope;
const CACHE = `streetwatch-officer-${VERSION}`;

sw.addEventListener('install', (e) => e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => sw.skipWaiting())));

sw.addEventListener('activate', (e) =>
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith('streetwatch-officer-') && k !== CACHE).map((k) => caches.delete(k)))).then(() => sw.clients.claim())));

sw.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || !SHELL.includes(url.pathname)) return;
  // The page: the network first (a new version shows at once), the cache when it does not answer.
  // Content-hashed assets never change: the cache first.
  const page = url.pathname === '/app/';
  e.respondWith(page
    ? fetch(e.request).catch(() => caches.match(e.request).then((r) => r ?? Response.error()))
    : caches.match(e.request).then((r) => r ?? fetch(e.request)));
});

sw.addEventListener('push', (e) => {
  const msg = (e.data?.json() ?? {}) as { title?: string; body?: string; orderId?: string };
  e.waitUntil(sw.registration.showNotification(msg.title ?? 'StreetWatch', { body: msg.body ?? '', tag: msg.orderId, icon: '/app/icon-192.png', data: { orderId: msg.orderId } }));
});

sw.addEventListener('notificationclick', (e) => {
  e.notification.close();
  e.waitUntil(sw.clients.openWindow('/app/'));
});

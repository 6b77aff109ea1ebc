/**
 * `npm run bench:console`: how fast the console's work-order board first renders with 500 open
 * orders. Seeds 500 open orders (dispatched, accepted, on site; 8 cameras, 2 teams, discovered
 * over the last 40 minutes) into a throw-away Redis prefix, starts the centre's `api` role in this
 * process with the built console, signs in, and loads `/#/board` in headless Chromium (Debian's,
 * through playwright-core) RUNS times with an empty cache and RUNS times with the assets cached.
 * Each time is from navigation start to all 500 rows on screen, read in the page
 * (performance.now()). Prints each run, the median and the worst, the asset sizes as sent, and a
 * `target:` line for "under 1 s". The prefix is deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import { createLogger } from '../common/logger.js';
import { projectRoot } from '../common/paths.js';
import { launchChromium } from '../console/headless.js';
import type { DetectionMessage } from '../contract/index.js';
import { startCenter } from '../center/start.js';
import { loadCenterConfig } from '../center/config.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import type { OrderState } from '../ticketing/work-order.js';
import { deleteKeys } from '../test/helpers/redis-keys.js';

const REDIS_URL = process.env.SW_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ORDERS = 500;
const RUNS = 5;
const TARGET_MS = 1000;
const OPERATOR_TOKEN = 'demo-operator-token-0001';

const newId = monotonicFactory();

/** Orders through the store's own write path, each in its own zone so none merge. */
async function seed(store: RedisWorkOrderStore, now: number): Promise<void> {
  const states: OrderState[] = ['dispatched', 'accepted', 'on_site'];
  for (let i = 0; i < ORDERS; i++) {
    const at = new Date(now - Math.floor((i / ORDERS) * 40 * 60_000)).toISOString();
    const detection: DetectionMessage = {
      v: 1, eventId: newId(), seq: 0, deviceId: `pole-${String(1 + (i % 4)).padStart(4, '0')}`, cameraId: `cam-${1 + (Math.floor(i / 4) % 2)}`, zoneId: `z${i}`,
      type: i % 5 === 0 ? 'street_vending' : 'illegal_parking', state: 'started', label: 'car', confidence: 0.8, bbox: { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 },
      firstSeenAt: at, discoveredAt: at, sentAt: at, evidence: [],
      ...(i % 3 === 0 ? { plate: { text: `苏E${String(10000 + i)}`, confidence: 0.9, readAt: at } } : {}),
    };
    const { order } = await store.openOrMerge({
      detection, team: i % 2 ? 'team-north' : 'team-south', assignee: i % 2 ? (i % 4 === 1 ? 'li' : 'wang') : 'zhao', location: null, confirmed: true,
      deadlineAt: new Date(Date.parse(at) + 40 * 60_000).toISOString(), dedupeIou: 0.5, plateWindowMs: 0, nowIso: at,
    });
    const target = states[i % 3];
    if (target !== 'dispatched') await store.transition(order.id, 'accepted', 'bench');
    if (target === 'on_site') await store.transition(order.id, 'on_site', 'bench');
  }
}

function assetSizes(): string {
  const dir = join(projectRoot, 'console', 'dist', 'assets');
  return readdirSync(dir)
    .filter((f) => /\.(js|css)$/.test(f))
    .map((f) => `${f.replace(/-[A-Z0-9]+\./, '.')} ${(statSync(join(dir, f)).size / 1024).toFixed(1)} KiB (${(statSync(join(dir, `${f}.br`)).size / 1024).toFixed(1)} KiB brotli)`)
    .join(', ');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const prefix = `{swbench-console-${randomBytes(4).toString('hex')}}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-console-'));
  const redis = new Redis(REDIS_URL);
  const logger = createLogger('bench-console');
  logger.level = process.env.LOG_LEVEL ?? 'warn';
  const base = loadCenterConfig(join(projectRoot, 'examples', 'center.yaml'));
  const config = {
    ...base, redisUrl: REDIS_URL, redisPrefix: prefix, dataDir,
    teams: [...base.teams, { id: 'team-south', officers: [{ id: 'zhao', onDuty: true }] }],
    cameras: [1, 2, 3, 4].flatMap((d) => [1, 2].map((c) => ({ deviceId: `pole-000${d}`, cameraId: `cam-${c}`, name: `Pole ${d} camera ${c}`, location: { lat: 31.23 + d * 0.002, long: 121.47 + c * 0.003 } }))),
    mqtt: { ...base.mqtt, port: 0, host: '127.0.0.1' },
    http: { ...base.http, port: 0, host: '127.0.0.1' },
  };
  const started = Date.now();
  await seed(new RedisWorkOrderStore(redis, prefix), started);
  process.stdout.write(`seeded ${ORDERS} open orders in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const center = await startCenter({ config, roles: ['api'], logger });
  const browser = await launchChromium();
  try {
    const url = center.httpUrl!;
    const res = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-streetwatch-console': '1' }, body: JSON.stringify({ token: OPERATOR_TOKEN }) });
    const [name, value] = String(res.headers.get('set-cookie')).split(';')[0].split('=');
    const rendered = async (page: import('playwright-core').Page): Promise<number> => {
      const h = await page.waitForFunction((n) => (document.querySelectorAll('[data-testid=board-row]').length === n ? performance.now() : 0), ORDERS, { timeout: 30_000 });
      return (await h.jsonValue()) as number;
    };
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
      await context.addCookies([{ name, value, url }]);
      const page = await context.newPage();
      await page.goto(`${url}/#/board`);
      cold.push(await rendered(page));
      await page.reload();
      warm.push(await rendered(page));
      await context.close();
    }
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
    process.stdout.write(`board with ${ORDERS} open orders, navigation start → all rows rendered (ms), headless Chromium, 1920×1080:\n`);
    process.stdout.write(`  empty cache:  ${fmt(cold)}   median ${median(cold).toFixed(0)}, worst ${Math.max(...cold).toFixed(0)}\n`);
    process.stdout.write(`  cached assets: ${fmt(warm)}   median ${median(warm).toFixed(0)}, worst ${Math.max(...warm).toFixed(0)}\n`);
    process.stdout.write(`assets: ${assetSizes()}\n`);
    const worst = Math.max(...cold, ...warm);
    process.stdout.write(`targets: first render of the board with ${ORDERS} open orders < ${TARGET_MS} ms: ${worst < TARGET_MS ? 'met' : 'NOT met'} (worst ${worst.toFixed(0)} ms)\n`);
  } finally {
    await browser.close();
    await center.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

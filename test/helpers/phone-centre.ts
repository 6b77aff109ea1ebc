/**
 * What a phone-app test drives: the real API on Redis serving the built app (`npm run build`),
 * with live orders, an evidence store and the report intake, on a free port; and a phone
 * (phone.ts) standing at `at`. Call it inside a `describe`: it starts both before the tests and
 * closes them, and drops its Redis keys and files, after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { projectRoot } from '../../common/paths.js';
import { createLogger } from '../../common/logger.js';
import { NoopMetricsWriter } from '../../center/metrics/points.js';
import { LiveHub } from '../../center/live/live-events.js';
import { withOrderEvents } from '../../center/live/live-orders.js';
import { redisStore } from '../../center/http/test-store.js';
import { testApi, testConfig, type TestConfigExtra } from '../../center/http/test-app.js';
import { EvidenceStore } from '../../ticketing/evidence-store.js';
import { reportIntake } from '../../ticketing/report-intake.js';
import type { WorkOrderStore } from '../../ticketing/store-types.js';
import { Workflow } from '../../ticketing/workflow.js';
import { phone, type Phone, type Place } from './phone.js';

export interface PhoneCentre {
  store: WorkOrderStore;
  evidence: EvidenceStore;
  /** A scratch folder for the test's files, removed afterwards. */
  dir: string;
  /** The API's address, once the tests run. */
  readonly base: string;
  /** The phone, once the tests run. */
  readonly phone: Phone;
}

export function phoneCentre(name: string, at: Place, extra: TestConfigExtra = {}): PhoneCentre {
  const hub = new LiveHub(createLogger(`${name}-e2e`));
  const db = redisStore();
  const store = withOrderEvents(db.store, (e) => hub.emit(e));
  const dir = mkdtempSync(join(tmpdir(), `sw-${name}-e2e-`));
  const evidence = new EvidenceStore(dir);
  const config = testConfig({}, extra);
  const workflow = new Workflow({ config, store, metrics: new NoopMetricsWriter(), logger: pino({ level: 'silent' }) });
  const api = testApi({
    store,
    config: extra,
    deps: { live: hub, consoleDir: join(projectRoot, 'console', 'dist'), evidence, reports: reportIntake({ evidence, workflow, maxPhotoBytes: config.reports.maxPhotoBytes }) },
  });
  let base: string | undefined;
  let opened: Phone | undefined;

  beforeAll(async () => {
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
    opened = await phone(at);
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
    await api.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error(`${name}: the centre and phone start before the tests`);
    return v;
  };
  return {
    store,
    evidence,
    dir,
    get base() {
      return started(base);
    },
    get phone() {
      return started(opened);
    },
  };
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeJpeg } from '../ingest/test-fixtures.js';
import { NoopMetricsWriter } from '../metrics/points.js';
import { EvidenceStore, sha256Hex } from '../../ticketing/evidence-store.js';
import { reportIntake } from '../../ticketing/report-intake.js';
import { Workflow } from '../../ticketing/workflow.js';
import type { WorkOrder } from '../../ticketing/work-order.js';
import { testApi, testConfig, type TestConfigExtra } from './test-app.js';
import { redisStore } from './test-store.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0);
const KEYS = { app: 'citizen-app-key-0123456789', hotline: 'hotline-key-0123456789abc', tight: 'tight-client-key-012345' };
const INSPECTOR = 'inspector-token-01234567';
const OFFICER = 'officer-token-0123456789';
const OTHER_INSPECTOR = 'inspector-token-abcdefgh';
/** The south team works the square around this point. */
const SQUARE = { lat: 32.05, long: 118.78 };
const around = (c: { lat: number; long: number }, d = 0.01) => [
  { lat: c.lat - d, long: c.long - d }, { lat: c.lat - d, long: c.long + d }, { lat: c.lat + d, long: c.long + d }, { lat: c.lat + d, long: c.long - d },
];
/** ~11 m per 0.0001° of latitude. */
const north = (m: number) => ({ lat: SQUARE.lat + m / 111_195, long: SQUARE.long });

const EXTRA: TestConfigExtra = {
  teams: [
    { id: 'north', name: 'North brigade', officers: [{ id: 'o-north' }] },
    { id: 'south', name: 'South brigade', officers: [{ id: 'o-south' }], areas: [{ name: 'Old town', polygon: around(SQUARE) }] },
  ],
  users: [
    { name: 'ivy', role: 'inspector', token: INSPECTOR },
    { name: 'ian', role: 'inspector', token: OTHER_INSPECTOR },
    { name: 'nick', role: 'officer', token: OFFICER, officerId: 'o-north' },
  ],
  reports: { radiusMeters: 50, windowMinutes: 60, maxPhotoBytes: 64 * 1024 },
  open311: {
    jurisdictionId: 'sw.example.org',
    clients: [
      { id: 'app', name: 'Citizen app', apiKey: KEYS.app },
      { id: 'hotline', name: '12345 hotline', apiKey: KEYS.hotline, autoConfirm: true },
      { id: 'tight', apiKey: KEYS.tight, requestsPerWindow: 2 },
    ],
  },
};

describe('Open311 POST and inspector reports', () => {
  let dir: string;
  let evidence: EvidenceStore;
  const db = redisStore();
  const store = db.store;
  const { app, close } = testApi({
    store,
    config: EXTRA,
    deps: () => ({
      now: () => NOW,
      evidence: { path: (sha) => evidence.path(sha), put: (buf) => evidence.put(buf) },
      reports: reportIntake({
        evidence: { put: (buf) => evidence.put(buf) },
        workflow: new Workflow({ config: testConfig({}, EXTRA), store, metrics: new NoopMetricsWriter(), logger: pino({ level: 'silent' }), now: () => NOW }),
        maxPhotoBytes: 64 * 1024,
        now: () => NOW,
      }),
    }),
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sw-open311-'));
    evidence = new EvidenceStore(dir);
  });
  afterAll(async () => {
    await close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const form = (fields: Record<string, string | number>) => new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();
  const post = async (fields: Record<string, string | number>, format = 'json') => {
    const res = await app.inject({ method: 'POST', url: `/open311/v2/requests.${format}`, headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'centre.local' }, payload: form(fields) });
    return { status: res.statusCode, body: format === 'json' ? res.json() : res.body, headers: res.headers };
  };
  const multipart = (fields: Record<string, string | number>, file?: { name: string; bytes: Buffer }) => {
    const boundary = '----sw-test-boundary';
    const parts: Buffer[] = Object.entries(fields).map(([k, v]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    if (file) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`), file.bytes, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, host: 'centre.local' } };
  };

  it('opens an order for the team whose area holds the place, waiting for review; a nearby report joins it', async () => {
    const first = await post({ api_key: KEYS.app, service_code: 'illegal_parking', ...north(0), description: 'Van on the crossing', email: 'li@example.org', first_name: 'Li' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual([{ service_request_id: expect.any(String), service_notice: 'Received: a new request.' }]);
    const id = first.body[0].service_request_id as string;
    const order = (await store.get(id))!;
    expect(order).toMatchObject({
      source: 'open311', state: 'pending_review', team: 'south', assignee: null, deviceId: null, cameraId: null, zoneId: null, eventIds: [],
      location: { lat: north(0).lat, long: SQUARE.long }, discoveredAt: new Date(NOW).toISOString(), deadlineAt: new Date(NOW + 40 * 60_000).toISOString(),
    });
    expect(order.reports).toEqual([expect.objectContaining({ source: 'open311', clientId: 'app', description: 'Van on the crossing', contact: { email: 'li@example.org', firstName: 'Li' } })]);

    // 30 m away, same type: the same problem.
    const again = await post({ api_key: KEYS.hotline, service_code: 'illegal_parking', ...north(30), description: 'Blocking the crossing' });
    expect(again.body).toEqual([{ service_request_id: id, service_notice: expect.stringMatching(/already reported/) }]);
    expect((await store.get(id))!.reports.map((r) => r.clientId)).toEqual(['app', 'hotline']);

    // 200 m away, another type, or another plate: other problems.
    const far = await post({ api_key: KEYS.app, service_code: 'illegal_parking', ...north(200) });
    const vending = await post({ api_key: KEYS.app, service_code: 'street_vending', ...north(10) });
    expect(new Set([id, far.body[0].service_request_id, vending.body[0].service_request_id]).size).toBe(3);
  });

  it('de-duplicates by plate: the same plate joins, another plate does not', async () => {
    const at = { lat: 31.9, long: 118.5 };
    const a = await post({ api_key: KEYS.app, service_code: 'overstay', ...at, plate: '苏A12345' });
    const same = await post({ api_key: KEYS.app, service_code: 'overstay', ...at, plate: '苏a 12345' });
    const other = await post({ api_key: KEYS.app, service_code: 'overstay', ...at, plate: '苏B99999' });
    expect(same.body[0].service_request_id).toBe(a.body[0].service_request_id);
    expect(other.body[0].service_request_id).not.toBe(a.body[0].service_request_id);
    // Outside every area: the default team.
    expect((await store.get(a.body[0].service_request_id))!.team).toBe('north');
  });

  it('a trusted client is dispatched at once; its photo is public under a lasting link, in JSON and XML', async () => {
    const jpeg = fakeJpeg(4096);
    const m = multipart({ api_key: KEYS.hotline, service_code: 'obstruction', lat: 31.8, long: 118.4, description: 'Crates <left> & abandoned', address_string: '9 Hanzhong Rd' }, { name: 'media', bytes: jpeg });
    const res = await app.inject({ method: 'POST', url: '/open311/v2/requests.json', ...m });
    expect(res.statusCode).toBe(201);
    const id = res.json()[0].service_request_id as string;
    const order = (await store.get(id))!;
    expect(order).toMatchObject({ state: 'dispatched', assignee: 'o-north', team: 'north' });
    expect(order.evidence).toEqual([expect.objectContaining({ kind: 'report', bytes: 4096 })]);

    const [sr] = (await app.inject({ url: `/open311/v2/requests/${id}.json`, headers: { host: 'centre.local' } })).json();
    expect(sr).toMatchObject({
      service_request_id: id, status: 'open', status_notes: 'An enforcement officer has been dispatched.', agency_responsible: 'North brigade',
      address: '9 Hanzhong Rd', description: 'Obstruction reported: Crates <left> & abandoned',
      media_url: `http://centre.local/open311/v2/media/${id}/${order.evidence[0].evidenceId}.jpg`,
    });
    const photo = await app.inject({ url: sr.media_url.replace('http://centre.local', '') });
    expect(photo.statusCode).toBe(200);
    expect(photo.rawPayload.equals(jpeg)).toBe(true);
    // Another evidence id of the order, or an order the public may not see: nothing.
    expect((await app.inject({ url: `/open311/v2/media/${id}/01NOPE.jpg` })).statusCode).toBe(404);

    const xml = await app.inject({ url: `/open311/v2/requests/${id}.xml` });
    expect(xml.headers['content-type']).toMatch(/^text\/xml/);
    expect(xml.body).toMatch(new RegExp(`^<\\?xml version="1.0" encoding="utf-8"\\?><service_requests><request><service_request_id>${id}</service_request_id><status>open</status>`));
    expect(xml.body).toContain('<description>Obstruction reported: Crates &lt;left&gt; &amp; abandoned</description>');
    expect(xml.body).toContain('<agency_responsible>North brigade</agency_responsible>');
    const list = await app.inject({ url: '/open311/v2/requests.xml?service_code=obstruction' });
    expect(list.body.match(/<request>/g)).toHaveLength(1);
  });

  it('a report waiting for review is not public, nor its photo', async () => {
    const m = multipart({ api_key: KEYS.app, service_code: 'obstruction', lat: 31.7, long: 118.3 }, { name: 'media', bytes: fakeJpeg() });
    const id = (await app.inject({ method: 'POST', url: '/open311/v2/requests.json', ...m })).json()[0].service_request_id as string;
    const order = (await store.get(id))!;
    expect(order.state).toBe('pending_review');
    expect((await app.inject({ url: `/open311/v2/requests/${id}.json` })).statusCode).toBe(404);
    expect((await app.inject({ url: `/open311/v2/media/${id}/${order.evidence[0].evidenceId}.jpg` })).statusCode).toBe(404);
  });

  it('refuses bad keys and bad input with the spec error list, in JSON and XML', async () => {
    expect(await post({ api_key: 'not-a-key', service_code: 'illegal_parking', lat: 1, long: 1 })).toMatchObject({ status: 403, body: [{ code: 403, description: 'api_key: not a key of any Open311 client' }] });
    expect(await post({ api_key: KEYS.app, service_code: 'illegal_parking' })).toMatchObject({ status: 400, body: [{ code: 400, description: 'lat: give lat and long, or address_string' }] });
    expect(await post({ api_key: KEYS.app, service_code: 'illegal_parking', lat: 32 })).toMatchObject({ status: 400, body: [{ code: 400, description: 'long: give lat and long together' }] });
    expect(await post({ api_key: KEYS.app, service_code: 'littering', lat: 1, long: 1 })).toMatchObject({ status: 400, body: [{ code: 400, description: expect.stringMatching(/^service_code: /) }] });
    expect(await post({ api_key: KEYS.app, service_code: 'illegal_parking', lat: 91, long: 1 })).toMatchObject({ status: 400, body: [{ description: expect.stringMatching(/^lat: /) }] });
    expect(await post({ api_key: KEYS.app, service_code: 'illegal_parking', lat: 1, long: 1, jurisdiction_id: 'other.city' })).toMatchObject({ status: 404, body: [{ code: 404, description: 'jurisdiction_id: this endpoint serves sw.example.org only' }] });
    const xml = await post({ api_key: KEYS.app, service_code: 'illegal_parking' }, 'xml');
    expect(xml.status).toBe(400);
    expect(xml.body).toBe('<?xml version="1.0" encoding="utf-8"?><errors><error><code>400</code><description>lat: give lat and long, or address_string</description></error></errors>');
    const png = multipart({ api_key: KEYS.app, service_code: 'obstruction', lat: 1, long: 1 }, { name: 'media', bytes: Buffer.from('\x89PNG\r\n\x1a\n0000') });
    expect((await app.inject({ method: 'POST', url: '/open311/v2/requests.json', ...png })).json()).toEqual([{ code: 400, description: 'the photo must be a JPEG' }]);
    expect((await app.inject({ url: '/open311/v2/nothing.json' })).json()).toEqual([{ code: 404, description: 'no route GET /open311/v2/nothing.json' }]);
  });

  it('rate-limits each client on its own budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post({ api_key: KEYS.tight, service_code: 'illegal_parking', lat: 30 + i, long: 110 })).status);
    expect(statuses).toEqual([201, 201, 429]);
    expect((await post({ api_key: KEYS.app, service_code: 'illegal_parking', lat: 29, long: 110 })).status).toBe(201);
  });

  it('discovery and services, in JSON and XML', async () => {
    const d = await app.inject({ url: '/open311/v2/discovery.json', headers: { host: 'centre.local' } });
    expect(d.json()).toMatchObject({ endpoints: [{ url: 'http://centre.local/open311/v2', formats: ['text/xml', 'application/json'], type: 'production' }] });
    const x = await app.inject({ url: '/open311/v2/discovery.xml', headers: { host: 'centre.local' } });
    expect(x.body).toContain('<endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification><url>http://centre.local/open311/v2</url>');
    expect(x.body).toContain('<formats><format>text/xml</format><format>application/json</format></formats>');
    const s = await app.inject({ url: '/open311/v2/services.xml' });
    expect(s.body.match(/<service><service_code>/g)).toHaveLength(4);
  });

  it('inspectors report with a photo and their position; officers may not', async () => {
    const jpeg = fakeJpeg(3000);
    const m = multipart({ type: 'street_vending', ...north(500), description: 'Stall on the pavement' }, { name: 'photo', bytes: jpeg });
    const res = await app.inject({ method: 'POST', url: '/api/reports', payload: m.payload, headers: { ...m.headers, authorization: `Bearer ${INSPECTOR}` } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ source: 'inspector', state: 'dispatched', team: 'south', assignee: 'o-south', reports: [{ source: 'inspector', user: 'ivy', description: 'Stall on the pavement' }] });
    expect(res.json().evidence).toEqual([expect.objectContaining({ kind: 'report', bytes: 3000 })]);
    // The same stall again: joins (200).
    const again = await app.inject({ method: 'POST', url: '/api/reports', payload: multipart({ type: 'street_vending', ...north(510) }, { name: 'photo', bytes: fakeJpeg() }).payload, headers: { ...m.headers, authorization: `Bearer ${INSPECTOR}` } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: res.json().id, reports: [{ user: 'ivy' }, { user: 'ivy' }] });

    const noPhoto = multipart({ type: 'street_vending', ...north(500) });
    const refused = await app.inject({ method: 'POST', url: '/api/reports', payload: noPhoto.payload, headers: { ...noPhoto.headers, authorization: `Bearer ${INSPECTOR}` } });
    expect(refused.json()).toMatchObject({ code: 'VALIDATION', field: 'photo' });
    const officer = await app.inject({ method: 'POST', url: '/api/reports', payload: m.payload, headers: { ...m.headers, authorization: `Bearer ${OFFICER}` } });
    expect(officer.statusCode).toBe(403);
  });

  it('a report resent with its reportId (the phone never saw the answer) files nothing twice, racing or after the order closed', async () => {
    const reportId = '01KBSW0000000000000000TEST';
    const send = (token = INSPECTOR, id = reportId, photo = fakeJpeg(2000)) => {
      const m = multipart({ reportId: id, type: 'obstruction', ...north(-800), description: 'Crates on the pavement' }, { name: 'photo', bytes: photo });
      return app.inject({ method: 'POST', url: '/api/reports', payload: m.payload, headers: { ...m.headers, authorization: `Bearer ${token}` } });
    };
    // Five tries of one report at once: one order, holding the report once.
    const tries = await Promise.all(Array.from({ length: 5 }, () => send()));
    expect(tries.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 201]);
    const id = tries[0].json().id as string;
    expect(new Set(tries.map((r) => r.json().id))).toEqual(new Set([id]));
    const order = (await store.get(id))!;
    expect(order.reports).toEqual([expect.objectContaining({ id: reportId, source: 'inspector', user: 'ivy' })]);
    expect(order.evidence.filter((e) => e.kind === 'report')).toHaveLength(1);
    // Closed since: the retry still answers that order, and opens no other.
    await store.transition(id, 'cancelled', 'olga');
    const late = await send();
    expect(late.statusCode).toBe(200);
    expect(late.json()).toMatchObject({ id, state: 'cancelled', reports: [{ id: reportId }] });
    expect((await store.list({ type: 'obstruction', team: 'south' }, { offset: 0, limit: 50 })).items.filter((o) => o.reports.some((r) => r.description === 'Crates on the pavement'))).toHaveLength(1);
    // Someone else's id is refused, and their photo is not kept; a malformed id is refused too.
    const theirs = fakeJpeg(3000);
    const taken = await send(OTHER_INSPECTOR, reportId, theirs);
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'REPORT_ID_TAKEN' });
    expect(await evidence.has(sha256Hex(theirs))).toBe(false);
    expect(await evidence.has(order.evidence.find((e) => e.kind === 'report')!.sha256)).toBe(true);
    expect((await send(INSPECTOR, 'not-a-ulid')).json()).toMatchObject({ code: 'VALIDATION', field: 'reportId' });
  });

  it('lists the orders holding my reports (reporter=me): newest first, closed ones too, not others\' nor Open311 ones; officers may not ask', async () => {
    const report = async (token: string, type: string, at: { lat: number; long: number }) => {
      const m = multipart({ type, ...at }, { name: 'photo', bytes: fakeJpeg() });
      const res = await app.inject({ method: 'POST', url: '/api/reports', payload: m.payload, headers: { ...m.headers, authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBeLessThan(300);
      return res.json() as WorkOrder;
    };
    const mine = async (token: string) => app.inject({ url: '/api/orders?reporter=me&limit=200', headers: { authorization: `Bearer ${token}` } });
    // Ian reports a new problem, then joins one of Ivy's (street_vending, north(500)); an Open311 client reports too.
    const iansOwn = await report(OTHER_INSPECTOR, 'illegal_parking', north(-2000));
    const joined = await report(OTHER_INSPECTOR, 'street_vending', north(505));
    await post({ api_key: KEYS.app, service_code: 'obstruction', ...north(-3000) });

    // What a full read of every order says each user reported, newest discovery first.
    const all = (await store.list({}, { offset: 0, limit: 1000 })).items;
    const reportedBy = (user: string) => all.filter((o) => o.reports.some((r) => r.user === user)).map((o) => o.id);
    const ivy = await mine(INSPECTOR);
    expect(ivy.statusCode).toBe(200);
    expect(ivy.json().items.map((o: WorkOrder) => o.id)).toEqual(reportedBy('ivy'));
    expect(ivy.json().total).toBe(reportedBy('ivy').length);
    // Ivy's orders: the stall (joined by Ian since), the cancelled crates, and the ones of the earlier tests.
    expect(reportedBy('ivy')).toContain(joined.id);
    expect(ivy.json().items.map((o: WorkOrder) => o.state)).toContain('cancelled');
    expect(reportedBy('ivy')).not.toContain(iansOwn.id);
    const ian = (await mine(OTHER_INSPECTOR)).json();
    expect(ian.items.map((o: WorkOrder) => o.id)).toEqual(reportedBy('ian'));
    expect(new Set(reportedBy('ian'))).toEqual(new Set([iansOwn.id, joined.id]));
    // Combines with the other filters.
    const vending = (await app.inject({ url: '/api/orders?reporter=me&type=street_vending', headers: { authorization: `Bearer ${OTHER_INSPECTOR}` } })).json();
    expect(vending.items.map((o: WorkOrder) => o.id)).toEqual([joined.id]);

    const officer = await mine(OFFICER);
    expect(officer.statusCode).toBe(403);
    expect((await app.inject({ url: '/api/orders?reporter=ivy', headers: { authorization: `Bearer ${INSPECTOR}` } })).json()).toMatchObject({ code: 'VALIDATION', field: 'reporter' });
  });
});

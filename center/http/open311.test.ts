import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkOrder } from '../../ticketing/work-order.js';
import { seedOrder } from './test-store.js';
import { testApi } from './test-app.js';

const PLATE = '苏ED51712';
const NOW = Date.UTC(2026, 10, 26, 12, 0);
const T = (min: number) => new Date(Date.UTC(2026, 10, 26, 8, min)).toISOString();
const SHA = (c: string) => c.repeat(64);

describe('Open311 GeoReport v2', () => {
  const { app, store, close } = testApi({ deps: { now: () => NOW } });
  const withUrl = testApi({ store, deps: { now: () => NOW }, http: { publicUrl: 'https://sw.example.org' } }).app;
  let open: WorkOrder;
  let closed: WorkOrder;
  let vending: WorkOrder;
  let unconfirmed: WorkOrder;
  let falseAlarm: WorkOrder;
  beforeAll(async () => {
    open = await seedOrder(store, {
      discoveredAt: T(0),
      plate: PLATE,
      evidence: [{ sha256: SHA('a'), kind: 'plate' }, { sha256: SHA('b'), kind: 'full' }],
    });
    closed = await seedOrder(store, { discoveredAt: T(5), state: 'resolved', plate: PLATE, location: null, evidence: [{ sha256: SHA('c'), kind: 'plate' }] });
    vending = await seedOrder(store, { discoveredAt: T(10), type: 'street_vending', team: 'south', state: 'accepted' });
    // Not confirmed (maybe a false alarm) and rejected (one): never public.
    unconfirmed = await seedOrder(store, { discoveredAt: T(11), state: 'pending_review' });
    falseAlarm = await seedOrder(store, { discoveredAt: T(12), state: 'rejected' });
    // Outside the default 90-day window.
    await seedOrder(store, { discoveredAt: '2026-01-01T00:00:00.000Z' });
  });
  afterAll(async () => {
    await close();
    await withUrl.close();
  });

  const get = async (url: string, a = app) => {
    const res = await a.inject({ url, headers: { host: 'centre.local:8080' } });
    return { status: res.statusCode, body: res.json(), text: res.body };
  };

  it('lists a service per violation type', async () => {
    const res = await app.inject({ url: '/open311/v2/services.json' });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const { status, body } = await get('/open311/v2/services.json');
    expect(status).toBe(200);
    expect(body.map((s: { service_code: string }) => s.service_code)).toEqual(['illegal_parking', 'street_vending', 'obstruction', 'overstay']);
    for (const s of body) expect(s).toMatchObject({ service_name: expect.any(String), description: expect.any(String), metadata: false, type: 'realtime' });
  });

  it('maps an order to a service request', async () => {
    const { status, body } = await get(`/open311/v2/requests/${open.id}.json`);
    expect(status).toBe(200);
    expect(body).toHaveLength(1);
    expect(body[0]).toEqual({
      service_request_id: open.id,
      status: 'open',
      status_notes: expect.any(String),
      service_name: 'Illegal parking',
      service_code: 'illegal_parking',
      description: `Illegal parking (car) in zone ${open.zoneId}, camera box-1/cam-1, plate 苏E·D5***2`,
      agency_responsible: 'north',
      requested_datetime: T(0),
      updated_datetime: open.updatedAt,
      expected_datetime: T(40),
      address: '1 Zhongshan Rd',
      lat: 32.06,
      long: 118.79,
      // The full-frame photo, not the plate close-up; a lasting link, absolute from the request's host.
      media_url: `http://centre.local:8080/open311/v2/media/${open.id}/${open.evidence[1].evidenceId}.jpg`,
    });
    const photo = await app.inject({ url: body[0].media_url.replace('http://centre.local:8080', '') });
    expect(photo.statusCode).toBe(404); // the file just is not stored in this test
  });

  it('uses publicUrl for media links when configured', async () => {
    const { body } = await get(`/open311/v2/requests/${open.id}.json`, withUrl);
    expect(body[0].media_url).toMatch(/^https:\/\/sw\.example\.org\/open311\/v2\/media\//);
  });

  it('closed orders, no location and only a plate photo', async () => {
    const { body } = await get(`/open311/v2/requests/${closed.id}.json`);
    expect(body[0]).toMatchObject({ status: 'closed', lat: null, long: null, address: null, media_url: null });
  });

  it('filters by status, service_code and dates; defaults to the past 90 days', async () => {
    const ids = async (q: string) => (await get(`/open311/v2/requests.json${q}`)).body.map((r: { service_request_id: string }) => r.service_request_id);
    expect(await ids('')).toEqual([vending.id, closed.id, open.id]);
    expect(await ids('?status=open')).toEqual([vending.id, open.id]);
    expect(await ids('?status=closed')).toEqual([closed.id]);
    expect(await ids('?status=open,closed&service_code=street_vending')).toEqual([vending.id]);
    expect(await ids(`?start_date=${T(1)}&end_date=${T(9)}`)).toEqual([closed.id]);
    expect(await ids('?start_date=2025-12-01')).toHaveLength(4);
    expect(await ids(`?service_request_id=${open.id},01NOPE,${vending.id}&status=closed`)).toEqual([open.id, vending.id]);
    expect(await ids(`?service_request_id=${unconfirmed.id},${falseAlarm.id},${open.id}`)).toEqual([open.id]);
    for (const o of [unconfirmed, falseAlarm]) expect((await get(`/open311/v2/requests/${o.id}.json`)).status).toBe(404);
  });

  it('refuses bad parameters, 404s unknown ids', async () => {
    // The spec's error list: [{ code, description }].
    expect(await get('/open311/v2/requests.json?status=pending')).toMatchObject({ status: 400, body: [{ code: 400, description: expect.stringMatching(/^status: /) }] });
    expect(await get('/open311/v2/requests.json?start_date=soon')).toMatchObject({ status: 400, body: [{ code: 400, description: expect.stringMatching(/^start_date: /) }] });
    expect(await get('/open311/v2/requests/01NOPE.json')).toMatchObject({ status: 404, body: [{ code: 404, description: 'no service request 01NOPE' }] });
  });

  it('refuses an id list that is empty, too long or holds an absurd id, and a day the calendar lacks', async () => {
    const refused = (q: string, error: string) => expect(get(`/open311/v2/requests.json?${q}`)).resolves.toEqual(expect.objectContaining({ status: 400, body: [{ code: 400, description: error }] }));
    await refused('service_request_id=,,,,', 'service_request_id: is empty; give a comma list of ids');
    await refused('service_request_id=', 'service_request_id: is empty; give a comma list of ids');
    await refused(`service_request_id=${Array.from({ length: 101 }, (_, i) => `id${i}`).join(',')}`, 'service_request_id: has 101 ids; at most 100 at a time');
    await refused(`service_request_id=${open.id},${'x'.repeat(65)}`, `service_request_id: has an id over 64 characters: "${'x'.repeat(64)}"…`);
    await refused('end_date=2026-02-30', 'end_date: must be a valid date');
    // The same ids again count once.
    expect((await get(`/open311/v2/requests.json?service_request_id=${Array(101).fill(open.id).join(',')}`)).body).toHaveLength(1);
  });

  it('never shows the full plate', async () => {
    const outputs = [
      await get('/open311/v2/requests.json?start_date=2025-01-01'),
      await get(`/open311/v2/requests/${open.id}.json`),
      await get(`/open311/v2/requests/${closed.id}.json`),
      await get(`/open311/v2/requests.json?service_request_id=${open.id}`),
    ];
    for (const o of outputs) {
      expect(o.status).toBe(200);
      expect(o.text).not.toContain(PLATE);
      expect(o.text).not.toContain('D51712');
      expect(o.text).not.toContain(SHA('a')); // the plate close-up
    }
    expect(outputs[0].text).toContain('苏E·D5***2');
  });
});

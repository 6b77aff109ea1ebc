import { afterAll, describe, expect, it } from 'vitest';
import { seedOrder } from './test-store.js';
import { auth, testApi } from './test-app.js';

const T = (min: number) => new Date(Date.UTC(2026, 10, 26, 9, min)).toISOString();

describe('review API', () => {
  const { app, store, close } = testApi();
  afterAll(() => close());

  const post = (url: string, payload?: object) => app.inject({ method: 'POST', url, headers: auth('operator'), ...(payload ? { payload } : {}) });

  it('queues pending detections oldest first, paged from the oldest', async () => {
    const mk = (min: number) => seedOrder(store, { state: 'pending_review', discoveredAt: T(min), assignee: null });
    const [b, a, c] = [await mk(5), await mk(1), await mk(9)];
    await seedOrder(store, { state: 'dispatched', discoveredAt: T(0) });
    const all = await app.inject({ url: '/api/review', headers: auth('officer') });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toMatchObject({ total: 3, offset: 0, limit: 50 });
    expect(all.json().items.map((o: { id: string }) => o.id)).toEqual([a.id, b.id, c.id]);
    const second = await app.inject({ url: '/api/review?offset=1&limit=1', headers: auth('operator') });
    expect(second.json().items.map((o: { id: string }) => o.id)).toEqual([b.id]);
    const past = await app.inject({ url: '/api/review?offset=3', headers: auth('operator') });
    expect(past.json()).toMatchObject({ items: [], total: 3 });
    // Clean up the queue for the tests below.
    for (const o of [a, b, c]) expect((await post(`/api/review/${o.id}/reject`, { reason: 'duplicate' })).statusCode).toBe(200);
  });

  it('confirm dispatches the order', async () => {
    const o = await seedOrder(store, { state: 'pending_review', discoveredAt: T(20), assignee: null });
    const res = await post(`/api/review/${o.id}/confirm`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: o.id, state: 'dispatched' });
    expect(res.json().audit.at(-1)).toMatchObject({ by: 'olga', from: 'pending_review', to: 'dispatched' });
    const again = await app.inject({ method: 'POST', url: `/api/review/${o.id}/confirm`, headers: { ...auth('operator'), 'content-type': 'application/json' } });
    expect(again.statusCode).toBe(409);
  });

  it('two concurrent confirms: one 200, one 409', async () => {
    const o = await seedOrder(store, { state: 'pending_review', discoveredAt: T(21), assignee: null });
    const res = await Promise.all([post(`/api/review/${o.id}/confirm`), post(`/api/review/${o.id}/confirm`)]);
    expect(res.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const lost = res.find((r) => r.statusCode === 409)!.json();
    expect(lost.error).toContain(o.id);
    expect(lost.code).toMatch(/STALE|ILLEGAL_TRANSITION/);
    expect((await store.get(o.id))!.audit.filter((e) => e.to === 'dispatched')).toHaveLength(1);
  });

  it('reject records the reason and note', async () => {
    const o = await seedOrder(store, { state: 'pending_review', discoveredAt: T(22), assignee: null });
    const res = await post(`/api/review/${o.id}/reject`, { reason: 'other', note: 'delivery van, permitted' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'rejected', rejection: { reason: 'other', note: 'delivery van, permitted' } });
  });

  it('validates the reject reason, and the note when the reason is other', async () => {
    const o = await seedOrder(store, { state: 'pending_review', discoveredAt: T(23), assignee: null });
    const bad = await post(`/api/review/${o.id}/reject`, { reason: 'looks_fine' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'reason: must be one of not_a_violation, wrong_class, outside_zone, duplicate, other', code: 'VALIDATION', field: 'reason' });
    expect((await post(`/api/review/${o.id}/reject`)).json().field).toBe('reason');
    const noNote = await post(`/api/review/${o.id}/reject`, { reason: 'other', note: '  ' });
    expect(noNote.json()).toEqual({ error: 'note: is required when reason is other', code: 'VALIDATION', field: 'note' });
    expect((await store.get(o.id))!.state).toBe('pending_review');
  });

  it('404 for unknown orders, 409 for orders no longer pending', async () => {
    expect((await post('/api/review/01NOPE/confirm')).statusCode).toBe(404);
    expect((await post('/api/review/01NOPE/reject', { reason: 'duplicate' })).statusCode).toBe(404);
    const o = await seedOrder(store, { state: 'dispatched', discoveredAt: T(24) });
    expect((await post(`/api/review/${o.id}/reject`, { reason: 'duplicate' })).statusCode).toBe(409);
  });
});

/**
 * Reassigning work orders: a shift supervisor's right, refused to operators; the store moves the
 * order between its team and officer indexes, and its trail says who moved it from whom to whom.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkOrder } from '../../ticketing/work-order.js';
import { seedOrder } from './test-store.js';
import { auth, testApi } from './test-app.js';

const T = (min: number) => new Date(Date.UTC(2026, 10, 26, 8, min)).toISOString();

describe('POST /api/orders/:id/assignment', () => {
  const { app, store, users, close } = testApi();
  let supervisor: Record<string, string> = {};
  let dispatched: WorkOrder;
  let pending: WorkOrder;
  let resolved: WorkOrder;
  beforeAll(async () => {
    await users.accounts.create({ name: 'sue', role: 'supervisor' }, 'test', 'supervises the night shift');
    supervisor = { authorization: `Bearer ${(await users.tokens.create('sue', 'test', Date.now()))!.token}` };
    dispatched = await seedOrder(store, { discoveredAt: T(0), state: 'dispatched', team: 'north', assignee: 'o-north' });
    pending = await seedOrder(store, { discoveredAt: T(1), state: 'pending_review', team: 'north', assignee: null });
    resolved = await seedOrder(store, { discoveredAt: T(2), state: 'resolved', team: 'north', assignee: 'o-north' });
  });
  afterAll(() => close());

  const reassign = (id: string, payload: object, headers: Record<string, string>) => app.inject({ method: 'POST', url: `/api/orders/${id}/assignment`, headers, payload });

  it('refuses operators and officers (403), and changes nothing', async () => {
    for (const who of ['operator', 'officer'] as const) {
      const res = await reassign(dispatched.id, { officerId: 'o-north-2' }, auth(who));
      expect(res.statusCode, who).toBe(403);
      expect(res.json().error).toBe(`reassigning a work order needs role supervisor or admin (you are ${who})`);
    }
    expect((await store.get(dispatched.id))?.assignee).toBe('o-north');
  });

  it('a supervisor hands an order to another officer, then to another team: indexes and trail follow', async () => {
    const res = await reassign(dispatched.id, { officerId: 'o-north-2', note: 'Li is off sick' }, supervisor);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'dispatched', team: 'north', assignee: 'o-north-2' });
    expect(res.json().audit.at(-1)).toMatchObject({ by: 'sue', from: 'dispatched', to: 'dispatched', note: 'reassigned from north/o-north to north/o-north-2: Li is off sick' });
    expect((await store.list({ assignee: 'o-north-2' }, { offset: 0, limit: 10 })).items.map((o) => o.id)).toEqual([dispatched.id]);
    expect((await store.openCountByAssignee('north')).get('o-north-2')).toBe(1);

    const moved = (await reassign(dispatched.id, { team: 'south', officerId: 'o-south' }, supervisor)).json() as WorkOrder;
    expect(moved).toMatchObject({ team: 'south', assignee: 'o-south' });
    expect((await store.list({ team: 'south' }, { offset: 0, limit: 10 })).items.map((o) => o.id)).toEqual([dispatched.id]);
    expect((await store.list({ team: 'north', state: ['dispatched'] }, { offset: 0, limit: 10 })).total).toBe(0);
    expect((await store.openCountByAssignee('north')).get('o-north-2')).toBe(0);
  });

  it('an order waiting for review changes team only; a closed one is not reassigned', async () => {
    expect((await reassign(pending.id, { team: 'south' }, supervisor)).json()).toMatchObject({ state: 'pending_review', team: 'south', assignee: null });
    expect((await reassign(pending.id, { officerId: 'o-south' }, supervisor)).json()).toMatchObject({ code: 'NOT_CONFIRMED' });
    const closed = await reassign(resolved.id, { officerId: 'o-north-2' }, auth('admin'));
    expect(closed.statusCode).toBe(409);
    expect(closed.json().error).toMatch(/is resolved: a closed order is not reassigned/);
  });

  it('names the bad field: an unknown team, an officer not on the team, neither given', async () => {
    expect((await reassign(dispatched.id, { team: 'east' }, supervisor)).json()).toMatchObject({ code: 'VALIDATION', field: 'team' });
    expect((await reassign(dispatched.id, { team: 'north', officerId: 'o-south' }, supervisor)).json()).toMatchObject({ field: 'officerId', error: 'officerId: o-south is not an officer of north' });
    expect((await reassign(dispatched.id, { note: 'x' }, supervisor)).json()).toMatchObject({ field: 'officerId' });
    expect((await reassign('01NOSUCHORDER0000000000000', { team: 'north' }, supervisor)).statusCode).toBe(404);
  });
});

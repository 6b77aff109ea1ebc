import { describe, expect, it } from 'vitest';
import { myReports, parseSent, queuedStatus, remember, SENT_KEPT, sentReport } from './my-reports';

const order = (id: string, reportIds: string[]) => ({ id, reports: reportIds.map((r) => ({ id: r })) as never });

describe('my reports', () => {
  it('says whether the report opened its order or joined one', () => {
    expect(sentReport('r1', order('o1', ['r1']))).toEqual({ reportId: 'r1', orderId: 'o1', outcome: 'opened' });
    expect(sentReport('r2', order('o1', ['r1', 'r2']))).toEqual({ reportId: 'r2', orderId: 'o1', outcome: 'joined' });
  });

  it('keeps the newest first, each once, at most SENT_KEPT', () => {
    let list = [sentReport('r1', order('o1', ['r1']))];
    list = remember(list, sentReport('r2', order('o2', ['r2'])));
    list = remember(list, sentReport('r1', order('o1', ['r1'])));
    expect(list.map((r) => r.reportId)).toEqual(['r1', 'r2']);
    for (let i = 0; i < 30; i++) list = remember(list, sentReport(`x${i}`, order(`o${i}`, [`x${i}`])));
    expect(list).toHaveLength(SENT_KEPT);
    expect(list[0].reportId).toBe('x29');
  });

  it('reads back what it wrote, and nothing from a damaged entry', () => {
    const list = [sentReport('r1', order('o1', ['r1']))];
    expect(parseSent(JSON.stringify(list))).toEqual(list);
    expect(parseSent(null)).toEqual([]);
    expect(parseSent('{not json')).toEqual([]);
    expect(parseSent('{"reportId":"r1"}')).toEqual([]);
    expect(parseSent('[{"reportId":"r1"},null,7]')).toEqual([]);
  });

  it('shows a report never tried as sending, one that failed as waiting for the network', () => {
    expect(queuedStatus({ attempts: 0 })).toBe('queued');
    expect(queuedStatus({ attempts: 2 })).toBe('retrying');
  });

  it('lists the user\'s reports in the centre\'s orders, newest first, one line per report, others\' left out', () => {
    const r = (id: string, user: string | undefined, at: string) => ({ id, user, receivedAt: `2026-12-06T08:${at}:00.000Z` });
    const orders = [
      { id: 'o2', reports: [r('a1', 'ann', '05'), r('i3', 'ivy', '09')] },
      { id: 'o1', reports: [r('i1', 'ivy', '01'), r('x', undefined, '02'), r('i2', 'ivy', '03')] },
    ] as never[];
    expect(myReports(orders, 'ivy')).toEqual([
      { reportId: 'i3', orderId: 'o2', outcome: 'joined' },
      { reportId: 'i2', orderId: 'o1', outcome: 'joined' },
      { reportId: 'i1', orderId: 'o1', outcome: 'opened' },
    ]);
    expect(myReports(orders, 'ann')).toEqual([{ reportId: 'a1', orderId: 'o2', outcome: 'opened' }]);
    const many = Array.from({ length: 30 }, (_, i) => ({ id: `o${i}`, reports: [r(`r${String(i).padStart(2, '0')}`, 'ivy', String(i).padStart(2, '0'))] })) as never[];
    expect(myReports(many, 'ivy').map((x) => x.reportId)).toEqual(Array.from({ length: SENT_KEPT }, (_, i) => `r${29 - i}`));
  });
});

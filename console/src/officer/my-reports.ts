/**
 * What the report screen lists — pure: the reports still in the queue, then those the centre took,
 * newest first, with the order each became or joined. The centre's list of the orders holding the
 * user's reports (GET /api/orders?reporter=me) is the truth, from any phone; the phone keeps its
 * last copy to show while the network is down.
 */
import type { WorkOrder } from '../api-types';
import type { QueuedReport } from './report-queue';

/** A report the centre took: its order, and whether the report opened it or joined it. */
export interface SentReport {
  reportId: string;
  orderId: string;
  outcome: 'opened' | 'joined';
}

/** How many sent reports the phone remembers (and orders it asks the centre for). */
export const SENT_KEPT = 20;

/** The centre's answer to a report: opened when the report is the order's first. */
export const sentReport = (reportId: string, order: Pick<WorkOrder, 'id' | 'reports'>): SentReport => ({
  reportId,
  orderId: order.id,
  outcome: order.reports[0]?.id === reportId ? 'opened' : 'joined',
});

/** The user's reports in these orders, newest first, one line each (two joining one order are two), at most SENT_KEPT. */
export function myReports(orders: readonly Pick<WorkOrder, 'id' | 'reports'>[], user: string): SentReport[] {
  const mine = orders.flatMap((o) => o.reports.filter((r) => r.user === user).map((r) => ({ at: r.receivedAt, sent: sentReport(r.id, o) })));
  mine.sort((a, b) => (a.at === b.at ? (a.sent.reportId < b.sent.reportId ? 1 : -1) : a.at < b.at ? 1 : -1));
  return mine.slice(0, SENT_KEPT).map((m) => m.sent);
}

/** Newest first, each report once, at most SENT_KEPT. */
export const remember = (list: readonly SentReport[], s: SentReport): SentReport[] =>
  [s, ...list.filter((x) => x.reportId !== s.reportId)].slice(0, SENT_KEPT);

/** Reads the remembered list back; anything unreadable is an empty list. */
export function parseSent(raw: string | null): SentReport[] {
  try {
    const list: unknown = JSON.parse(raw ?? '[]');
    return Array.isArray(list) ? list.filter((x): x is SentReport => typeof x?.reportId === 'string' && typeof x?.orderId === 'string').slice(0, SENT_KEPT) : [];
  } catch {
    return [];
  }
}

export type QueuedStatus = 'queued' | 'retrying';

/** A report still on the phone: waiting for its first try, or for the network after a failed one. */
export const queuedStatus = (r: Pick<QueuedReport, 'attempts'>): QueuedStatus => (r.attempts > 0 ? 'retrying' : 'queued');

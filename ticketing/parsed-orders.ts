/**
 * The orders a store last wrote or read, kept parsed by id with the exact JSON they were parsed
 * from. A record read again unchanged (the same JSON, compared in full) is not parsed and validated
 * again: the de-dup snapshot reads every open order of a scope for each detection, and the
 * dispatcher reads the order each notice is about, mostly just written by this very process.
 * Another process's write changes the JSON, so it is always parsed. Orders are immutable values
 * (every change makes a new object), so sharing one object between callers is safe.
 */
import type { WorkOrder } from './work-order.js';

/** Bounded: a few MB for the recently touched orders; older ones are parsed again when read. */
const DEFAULT_MAX = 4096;

export class ParsedOrders {
  private readonly byId = new Map<string, { raw: string; order: WorkOrder }>();

  constructor(private readonly max = DEFAULT_MAX) {}

  /** The order parsed from exactly `raw`, if kept. */
  get(id: string, raw: string): WorkOrder | undefined {
    const kept = this.byId.get(id);
    if (kept?.raw !== raw) return undefined;
    // Most recently used last, so the oldest go first.
    this.byId.delete(id);
    this.byId.set(id, kept);
    return kept.order;
  }

  set(id: string, raw: string, order: WorkOrder): void {
    this.byId.delete(id);
    this.byId.set(id, { raw, order });
    if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value!);
  }

  get size(): number {
    return this.byId.size;
  }
}

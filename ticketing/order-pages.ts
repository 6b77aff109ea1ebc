/**
 * Every order a filter lists, a page at a time, newest first. It pages on to the list's `total`:
 * the store skips an order it cannot read, so a page may come back short with older orders still
 * to come, and stopping at a short page would leave all of those out.
 */
import type { OrderFilter, WorkOrderStore } from './store-types.js';
import type { WorkOrder } from './work-order.js';

export async function* orderPages(store: Pick<WorkOrderStore, 'list'>, filter: OrderFilter, pageSize: number): AsyncGenerator<WorkOrder[]> {
  for (let offset = 0; ; offset += pageSize) {
    const page = await store.list(filter, { offset, limit: pageSize });
    yield page.items;
    if (offset + pageSize >= page.total) return;
  }
}

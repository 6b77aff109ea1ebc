/**
 * A WorkOrderStore that reports every write as a live `order` event. Wrapping the store (rather
 * than the workflow, dispatcher and SLA timers one by one) catches every path that changes an
 * order, in whichever process it runs.
 */
import type { WorkOrderStore } from '../../ticketing/store-types.js';
import type { WorkOrder } from '../../ticketing/work-order.js';
import type { LiveEvent } from './live-events.js';

export function withOrderEvents(store: WorkOrderStore, publish: (event: LiveEvent) => void): WorkOrderStore {
  const told = (order: WorkOrder): WorkOrder => {
    publish({ kind: 'order', order });
    return order;
  };
  return {
    openOrMerge: async (input) => {
      const res = await store.openOrMerge(input);
      told(res.order);
      return res;
    },
    openReport: async (input) => {
      const res = await store.openReport(input);
      told(res.order);
      return res;
    },
    transition: async (id, to, by, opts) => told(await store.transition(id, to, by, opts)),
    reassign: async (id, to, by, note) => told(await store.reassign(id, to, by, note)),
    attachEvidence: async (id, refs) => told(await store.attachEvidence(id, refs)),
    setSla: async (id, level) => told(await store.setSla(id, level)),
    setEdgeEnded: async (id, ended, opts) => told(await store.setEdgeEnded(id, ended, opts)),
    apply: async (id, change, opts) => told(await store.apply(id, change, opts)),
    get: (id) => store.get(id),
    getWith: (id, read) => store.getWith(id, read),
    findByEvent: (eventId) => store.findByEvent(eventId),
    orderOfEvent: (eventId) => store.orderOfEvent(eventId),
    orderOfReport: (reportId) => store.orderOfReport(reportId),
    list: (filter, page) => store.list(filter, page),
    openCountByAssignee: (team) => store.openCountByAssignee(team),
    countByPlate: (plate) => store.countByPlate(plate),
  };
}

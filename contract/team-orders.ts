/**
 * What the centre tells a team about an order: the same notice goes to the team's webhook (the
 * Idempotency-Key in a header) and, with the key in the body, to `<root>/teams/<team>/orders` for
 * officers' apps (ticketing/dispatcher.ts).
 */
import { z } from 'zod';
import { workOrderSchema } from './work-orders.js';

export const DISPATCH_KINDS = ['order', 'update', 'stand_down', 'sla_yellow', 'sla_red', 'reopened'] as const;
export const dispatchKind = z.enum(DISPATCH_KINDS);

export const dispatchMessage = z
  .object({
    kind: dispatchKind,
    /** The team gets the plate in full; a supervisor's webhook copy has it masked. */
    order: workOrderSchema,
    note: z.string().optional(),
  })
  .meta({ id: 'DispatchMessage' });

export const teamOrderMessage = dispatchMessage
  .extend({
    /** `<orderId>:<kind>:<n>`: the same notice may arrive twice (QoS 1), the apps drop repeats by it. */
    idempotencyKey: z.string().min(1),
  })
  .meta({ id: 'TeamOrder', description: 'A notice about one of the team\'s orders, the plate in full, for officers\' apps; the same notices go to the team webhook.' });

export type DispatchKind = z.output<typeof dispatchKind>;
export type DispatchMessage = z.output<typeof dispatchMessage>;
export type TeamOrderMessage = z.output<typeof teamOrderMessage>;

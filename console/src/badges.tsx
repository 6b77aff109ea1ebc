/**
 * An order's badges drawn with a given `t`: the console's components (components.tsx, which take
 * `t` from the console's context) and the officer app's card (which has no such context) share them.
 */
import type { OrderState, WorkOrder } from './api-types';
import type { Key } from './i18n';
import { verificationBadge } from './verification';

export type Translate = (key: Key, params?: Record<string, string | number>) => string;

export const stateBadge = (state: OrderState, t: Translate, testId = 'state') => <span class={`badge state-${state}`} data-testid={testId} data-state={state}>{t(`state.${state}`)}</span>;

/** Where an order came from, when a person reported it (a camera's orders show their camera). */
export function sourceBadge(source: WorkOrder['source'], t: Translate) {
  if (source === 'camera') return null;
  return <span class={`badge source-${source}`} data-testid="source" data-source={source}>{t(`source.${source}`)}</span>;
}

/** The camera's check of an officer's resolve, when there is one worth showing; the note on hover. */
export function verificationBadgeOf(order: Pick<WorkOrder, 'verification'>, t: Translate) {
  const status = verificationBadge(order);
  if (!status) return null;
  return <span class={`badge verification-${status}`} data-testid="verification" data-status={status} title={order.verification?.note}>{t(`verification.${status}`)}</span>;
}

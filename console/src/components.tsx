/** Small pieces shared by the screens: SLA light with countdown, state badge, evidence photo. */
import type { OrderState, WorkOrder } from './api-types';
import { evidenceUrl } from './api';
import { sourceBadge, stateBadge, verificationBadgeOf } from './badges';
import { useNow } from './clock';
import { useApp } from './context';
import { countdown } from './format';
import { slaLight, timeLeftMs } from './sla';

/** The order's light and the time left to its deadline, ticking every second. */
export function SlaCountdown({ order }: { order: Pick<WorkOrder, 'discoveredAt' | 'deadlineAt'> }) {
  const { settings, t } = useApp();
  const now = useNow();
  const light = slaLight(Date.parse(order.discoveredAt), now, settings.sla);
  const left = timeLeftMs(Date.parse(order.deadlineAt), now);
  return (
    <span class={`sla sla-${light}`} data-testid="sla" data-light={light} title={t(`sla.${light}`)}>
      <i class="dot" aria-hidden="true" />
      <span class="mono">{countdown(left)}</span>
    </span>
  );
}

/** "3 minutes ago", kept current. */
export function Ago({ at }: { at: string }) {
  const { fmt } = useApp();
  const now = useNow();
  return <span title={fmt.dateTime(at, true)}>{fmt.ago(at, now)}</span>;
}

export function StateBadge({ state }: { state: OrderState }) {
  return stateBadge(state, useApp().t);
}

export function SourceBadge({ source }: { source: WorkOrder['source'] }) {
  return sourceBadge(source, useApp().t);
}

/** Why the officer could not handle it, while the order waits for the supervisor to reassign it. */
export function UnableBadge({ order }: { order: Pick<WorkOrder, 'state' | 'unable'> }) {
  const { t } = useApp();
  if (order.state !== 'unable' || !order.unable) return null;
  return <span class="badge unable" data-testid="unable" data-reason={order.unable.reason} title={order.unable.note}>{t('board.unable', { reason: t(`unable.${order.unable.reason}`) })}</span>;
}

export function VerificationBadge({ order }: { order: Pick<WorkOrder, 'verification'> }) {
  return verificationBadgeOf(order, useApp().t);
}

export function Photo({ sha256, alt, className }: { sha256: string; alt: string; className?: string }) {
  return (
    <a href={evidenceUrl(sha256)} target="_blank" rel="noopener" class={className}>
      <img src={evidenceUrl(sha256)} alt={alt} loading="lazy" decoding="async" />
    </a>
  );
}

/** The plate text, or a dash: most orders have no plate read. */
export function Plate({ order }: { order: Pick<WorkOrder, 'plate'> }) {
  const { t } = useApp();
  return order.plate ? <span class="plate" data-testid="plate">{order.plate.text}</span> : <span class="muted">{t('order.noPlate')}</span>;
}

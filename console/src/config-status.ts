/**
 * Has the box applied what was sent? — pure. The box answers each desired version with
 * `applied` (that version, or a higher one it already runs) or `rejected` (that version, why).
 */
import type { DesiredConfig, DeviceConfig } from './api-types';

export type ApplyState = 'none' | 'pending' | 'applied' | 'rejected';

export function applyState(desired: DesiredConfig | null | undefined, reported: DeviceConfig['reported'] | undefined): ApplyState {
  if (!desired) return 'none';
  const r = reported?.message;
  if (!r || r.version < desired.version) return 'pending';
  if (r.status === 'applied') return 'applied';
  return r.version === desired.version ? 'rejected' : 'pending';
}

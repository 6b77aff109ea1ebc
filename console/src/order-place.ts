/** Where an order is, in words — pure. */
import type { WorkOrder } from './api-types';

/** Its camera and zone; reported by people and no camera saw it: the address they gave, else the position. */
export function orderPlace(o: Pick<WorkOrder, 'deviceId' | 'cameraId' | 'zoneId' | 'location' | 'reports'>, cameraName: (deviceId: string, cameraId: string) => string): string {
  if (o.deviceId && o.cameraId) return `${cameraName(o.deviceId, o.cameraId)} · ${o.zoneId}`;
  const address = o.location?.address ?? o.reports.find((r) => r.address)?.address;
  if (address) return address;
  return o.location ? `${o.location.lat.toFixed(5)}, ${o.location.long.toFixed(5)}` : '—';
}

/**
 * Work orders as Open311 GeoReport v2 service requests — pure. This output is public, so the
 * plate is always masked and plate close-ups are never linked.
 */
import type { ViolationType } from '../../contract/index.js';
import { isOpen, type OrderState, type WorkOrder } from '../../ticketing/work-order.js';

export const SERVICES: Record<ViolationType, { service_name: string; description: string; keywords: string }> = {
  illegal_parking: {
    service_name: 'Illegal parking',
    description: 'A vehicle parked or stopped where it is not allowed (no-parking zone, bus stop, loading bay, crossing), seen by a street camera or bay sensor.',
    keywords: 'parking,vehicle,obstruction',
  },
  street_vending: {
    service_name: 'Street vending',
    description: 'Unlicensed street vending, or a stall obstructing the pavement, seen by a street camera.',
    keywords: 'vending,stall,pavement,obstruction',
  },
};

export function serviceList(): Array<Record<string, unknown>> {
  return (Object.keys(SERVICES) as ViolationType[]).map((code) => ({
    service_code: code,
    service_name: SERVICES[code].service_name,
    description: SERVICES[code].description,
    metadata: false,
    type: 'realtime',
    keywords: SERVICES[code].keywords,
    group: 'Street enforcement',
  }));
}

const STATUS_NOTES: Record<OrderState, string> = {
  pending_review: 'Awaiting review by an operator.',
  dispatched: 'An enforcement officer has been dispatched.',
  accepted: 'An enforcement officer has accepted the request.',
  on_site: 'An enforcement officer is on site.',
  resolved: 'Resolved by an enforcement officer.',
  rejected: 'Closed on review: not a violation.',
  self_cleared: 'The problem cleared before an officer arrived.',
  cancelled: 'Cancelled.',
};

export interface ServiceRequest {
  service_request_id: string;
  status: 'open' | 'closed';
  status_notes: string;
  service_name: string;
  service_code: ViolationType;
  description: string;
  agency_responsible: string;
  requested_datetime: string;
  updated_datetime: string;
  expected_datetime: string;
  address: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
}

export function toServiceRequest(order: WorkOrder, opts: { maskPlate: (text: string) => string; mediaUrl: (sha256: string) => string }): ServiceRequest {
  const where = `in zone ${order.zoneId}, camera ${order.deviceId}/${order.cameraId}`;
  const plate = order.plate ? `, plate ${opts.maskPlate(order.plate.text)}` : '';
  // A plate close-up would show the plate the text masks.
  const photo = order.evidence.find((e) => e.kind !== 'plate');
  return {
    service_request_id: order.id,
    status: isOpen(order.state) ? 'open' : 'closed',
    status_notes: STATUS_NOTES[order.state],
    service_name: SERVICES[order.type].service_name,
    service_code: order.type,
    description: `${SERVICES[order.type].service_name} (${order.label}) ${where}${plate}`,
    agency_responsible: order.team,
    requested_datetime: order.discoveredAt,
    updated_datetime: order.updatedAt,
    expected_datetime: order.deadlineAt,
    address: order.location?.address ?? null,
    lat: order.location?.lat ?? null,
    long: order.location?.long ?? null,
    media_url: photo ? opts.mediaUrl(photo.sha256) : null,
  };
}

/**
 * Work orders as Open311 GeoReport v2 service requests — pure. This output is public, so the
 * plate is always masked and plate close-ups are never linked.
 */
import { z } from 'zod';
import { isoTime, violationType, type ViolationType } from '../../contract/index.js';
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
  obstruction: {
    service_name: 'Obstruction',
    description: 'Goods or materials left on the pavement or road with nobody tending them, seen by a street camera.',
    keywords: 'obstruction,goods,materials,pavement',
  },
  overstay: {
    service_name: 'Overstay',
    description: 'A vehicle parked longer than a time-limited zone allows, seen by a street camera.',
    keywords: 'parking,vehicle,time limit,overstay',
  },
};

export const open311Service = z
  .object({
    service_code: violationType,
    service_name: z.string(),
    description: z.string(),
    metadata: z.boolean(),
    type: z.enum(['realtime', 'batch', 'blackbox']),
    keywords: z.string(),
    group: z.string(),
  })
  .meta({ id: 'Open311Service' });

export function serviceList(): Array<z.output<typeof open311Service>> {
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
  verified: 'Resolved by an enforcement officer; the camera saw the problem gone.',
};

export const serviceRequest = z
  .object({
    service_request_id: z.string(),
    status: z.enum(['open', 'closed']),
    status_notes: z.string(),
    service_name: z.string(),
    service_code: violationType,
    description: z.string(),
    agency_responsible: z.string(),
    requested_datetime: isoTime,
    updated_datetime: isoTime,
    expected_datetime: isoTime,
    address: z.string().nullable(),
    lat: z.number().nullable(),
    long: z.number().nullable(),
    media_url: z.string().nullable().meta({ description: 'A signed, expiring link to a photo (never a plate close-up)' }),
  })
  .meta({ id: 'Open311ServiceRequest' });

export type ServiceRequest = z.output<typeof serviceRequest>;

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

/**
 * Work orders as Open311 GeoReport v2 service requests — pure. Served by the HTTP API and sent to
 * the reporting clients' callbacks. This output is public, so the plate is always masked, and only
 * the photos `publicPhoto` allows are linked (never a plate close-up or an officer's photo).
 */
import { z } from 'zod';
import { isoTime, violationType, type OrderEvidenceRef, type ViolationType } from '../contract/index.js';
import { statusNotes } from './open311-status.js';
import { isOpen, type WorkOrder } from './work-order.js';

export const SERVICES: Record<ViolationType, { service_name: string; description: string; keywords: string }> = {
  illegal_parking: {
    service_name: 'Illegal parking',
    description: 'A vehicle parked or stopped where it is not allowed (no-parking zone, bus stop, loading bay, crossing), seen by a street camera or bay sensor, or reported.',
    keywords: 'parking,vehicle,obstruction',
  },
  street_vending: {
    service_name: 'Street vending',
    description: 'Unlicensed street vending, or a stall obstructing the pavement, seen by a street camera or reported.',
    keywords: 'vending,stall,pavement,obstruction',
  },
  obstruction: {
    service_name: 'Obstruction',
    description: 'Goods or materials left on the pavement or road with nobody tending them, seen by a street camera or reported.',
    keywords: 'obstruction,goods,materials,pavement',
  },
  overstay: {
    service_name: 'Overstay',
    description: 'A vehicle parked longer than a time-limited zone allows, seen by a street camera or reported.',
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
    media_url: z.string().nullable().meta({ description: 'A lasting link to a photo of the problem (never a plate close-up), or the link its reporter gave' }),
  })
  .meta({ id: 'Open311ServiceRequest' });

export type ServiceRequest = z.output<typeof serviceRequest>;

/** Photos the public may see: the camera's frame and close-up, and reporters' own; never a plate close-up or any other kind. */
// Never an officer's scene photo: those are for the centre only.
const PUBLIC_PHOTO_KINDS: ReadonlySet<string> = new Set(['full', 'crop', 'report']);
export const isPublicPhoto = (e: Pick<OrderEvidenceRef, 'kind'>): boolean => PUBLIC_PHOTO_KINDS.has(e.kind);

/** The lasting public path of one of an order's photos (it names no secret: the route checks the order is public). */
export const mediaPath = (orderId: string, evidenceId: string): string => `/open311/v2/media/${orderId}/${evidenceId}.jpg`;

export interface ServiceRequestOptions {
  maskPlate: (text: string) => string;
  /** Absolute base of media links (no trailing slash), or '' for root-relative ones. */
  mediaBase: string;
  /** The team's name as the public knows it. */
  agency: (teamId: string) => string;
}

/** An installation's options: its teams' names as agencies, media links under `base` (a trailing slash dropped). */
export function serviceRequestOptions(teams: readonly { id: string; name?: string }[], base: string, maskPlate: ServiceRequestOptions['maskPlate']): ServiceRequestOptions {
  return { maskPlate, mediaBase: base.replace(/\/+$/, ''), agency: (id) => teams.find((t) => t.id === id)?.name ?? id };
}

export function toServiceRequest(order: WorkOrder, opts: ServiceRequestOptions): ServiceRequest {
  const photo = order.evidence.find(isPublicPhoto);
  const given = order.reports.find((r) => r.mediaUrl)?.mediaUrl ?? null;
  return {
    service_request_id: order.id,
    status: isOpen(order.state) ? 'open' : 'closed',
    status_notes: statusNotes(order),
    service_name: SERVICES[order.type].service_name,
    service_code: order.type,
    description: describe(order, opts.maskPlate),
    agency_responsible: opts.agency(order.team),
    requested_datetime: order.discoveredAt,
    updated_datetime: order.updatedAt,
    expected_datetime: order.deadlineAt,
    address: order.location?.address ?? order.reports.find((r) => r.address)?.address ?? null,
    lat: order.location?.lat ?? null,
    long: order.location?.long ?? null,
    media_url: photo ? `${opts.mediaBase}${mediaPath(order.id, photo.evidenceId)}` : given,
  };
}

/** A camera's words, or the first reporter's (a reporter's text is shown as given, plate masked). */
function describe(order: WorkOrder, maskPlate: (text: string) => string): string {
  const plate = order.plate ? `, plate ${maskPlate(order.plate.text)}` : '';
  const first = order.reports[0];
  if (order.source !== 'camera' && first) {
    const text = order.plate ? first.description.split(order.plate.text).join(maskPlate(order.plate.text)) : first.description;
    return `${SERVICES[order.type].service_name} reported: ${text}${plate}`;
  }
  return `${SERVICES[order.type].service_name} (${order.label}) in zone ${order.zoneId}, camera ${order.deviceId}/${order.cameraId}${plate}`;
}

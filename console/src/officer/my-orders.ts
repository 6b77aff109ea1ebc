/**
 * The officer's list, most urgent first — pure: by SLA light (red, yellow, green), then by
 * distance from where the officer stands (when the browser may tell), then by deadline.
 */
import type { Location, SlaLevel, WorkOrder } from '../api-types';
import { slaLight, type SlaSettings } from '../sla';

export interface Position {
  lat: number;
  long: number;
}

const RANK: Record<SlaLevel, number> = { red: 0, yellow: 1, green: 2 };
const EARTH_KM = 6371;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in km (haversine). */
export function distanceKm(a: Position, b: Position): number {
  const dLat = rad(b.lat - a.lat);
  const dLong = rad(b.long - a.long);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLong / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Distance to the order, or null when either place is unknown. */
export const orderDistanceKm = (o: Pick<WorkOrder, 'location'>, here: Position | null): number | null =>
  here && o.location ? distanceKm(here, o.location) : null;

export function sortMyOrders<O extends Pick<WorkOrder, 'id' | 'discoveredAt' | 'deadlineAt' | 'location'>>(orders: readonly O[], nowMs: number, sla: SlaSettings, here: Position | null): O[] {
  const keyed = orders.map((o) => ({ o, light: RANK[slaLight(Date.parse(o.discoveredAt), nowMs, sla)], km: orderDistanceKm(o, here) ?? Infinity }));
  keyed.sort((a, b) => a.light - b.light || a.km - b.km || a.o.deadlineAt.localeCompare(b.o.deadlineAt) || a.o.id.localeCompare(b.o.id));
  return keyed.map((k) => k.o);
}

/**
 * Links that open navigation to the place: `geo:` for the phone's own map app, and a web map
 * (AMap, which mainland phones have) for browsers that do not handle `geo:`.
 */
export function mapLinks(loc: Location): { geo: string; web: string } {
  const label = encodeURIComponent(loc.address ?? `${loc.lat},${loc.long}`);
  return {
    geo: `geo:${loc.lat},${loc.long}?q=${loc.lat},${loc.long}(${label})`,
    web: `https://uri.amap.com/marker?position=${loc.long},${loc.lat}&name=${label}&coordinate=wgs84&callnative=1`,
  };
}

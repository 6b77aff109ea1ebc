/** Map arithmetic on WGS 84 points — pure. */

export interface LatLong {
  lat: number;
  long: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle distance in metres (haversine): exact enough for the tens of metres de-dup works in. */
export function distanceMeters(a: LatLong, b: LatLong): number {
  const dLat = rad(b.lat - a.lat);
  const dLong = rad(b.long - a.long);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLong / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Whether the point lies inside the polygon (corners in order, closed implicitly), by ray casting on
 * lat/long as a plane: a district's polygon is small enough for that.
 */
export function insidePolygon(p: LatLong, polygon: readonly LatLong[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i];
    const b = polygon[j];
    if (a.lat > p.lat !== b.lat > p.lat && p.long < ((b.long - a.long) * (p.lat - a.lat)) / (b.lat - a.lat) + a.long) inside = !inside;
  }
  return inside;
}

/**
 * The camera plan: lat/long → plan coordinates — pure. An equirectangular projection around the
 * cameras' mid latitude is exact enough over a district, and needs no map tiles: the plan is
 * drawn offline from the positions in the centre config.
 */
import type { Location } from './api-types';

export interface PlanPoint {
  x: number;
  y: number;
}

export interface Projection {
  project(loc: Location): PlanPoint;
  /** Plan units per metre (for the scale bar). */
  unitsPerMetre: number;
}

const METRES_PER_DEGREE = 111_320;
/** Extent used when all cameras stand at one spot (or there is only one). */
const MIN_SPAN_M = 200;

/** Fits the locations into a width × height plan with `pad` units around them, north up. */
export function fitProjection(locations: readonly Location[], width: number, height: number, pad: number): Projection {
  const lats = locations.map((l) => l.lat);
  const midLat = locations.length ? (Math.min(...lats) + Math.max(...lats)) / 2 : 0;
  const kx = METRES_PER_DEGREE * Math.cos((midLat * Math.PI) / 180);
  const toM = (l: Location): PlanPoint => ({ x: l.long * kx, y: -l.lat * METRES_PER_DEGREE });
  const pts = locations.map(toM);
  const minX = pts.length ? Math.min(...pts.map((p) => p.x)) : 0;
  const maxX = pts.length ? Math.max(...pts.map((p) => p.x)) : 0;
  const minY = pts.length ? Math.min(...pts.map((p) => p.y)) : 0;
  const maxY = pts.length ? Math.max(...pts.map((p) => p.y)) : 0;
  const spanX = Math.max(maxX - minX, MIN_SPAN_M);
  const spanY = Math.max(maxY - minY, MIN_SPAN_M);
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return {
    project(loc) {
      const p = toM(loc);
      return { x: width / 2 + (p.x - cx) * scale, y: height / 2 + (p.y - cy) * scale };
    },
    unitsPerMetre: scale,
  };
}

/** A round scale-bar length (1, 2 or 5 × 10ⁿ metres) at most `maxUnits` long on the plan. */
export function scaleBarMetres(unitsPerMetre: number, maxUnits: number): number {
  const maxM = maxUnits / unitsPerMetre;
  const p = 10 ** Math.floor(Math.log10(maxM));
  return [5, 2, 1].map((k) => k * p).find((m) => m <= maxM) ?? p;
}

/**
 * Zone polygons in the editor — pure, normalised 0..1 frame coordinates like the edge config.
 * The box refuses a crossing or flat polygon; checking here tells the operator before sending.
 */
export type Point = [number, number];

export type PolygonProblem = 'too_few_points' | 'edges_cross' | 'zero_area';

const orient = (p: Point, q: Point, r: Point): number => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));

const cross = (a: Point, b: Point, c: Point, d: Point): boolean => orient(a, b, c) * orient(a, b, d) < 0 && orient(c, d, a) * orient(c, d, b) < 0;

/** The first thing the box would refuse about this polygon, or null when it is fine. */
export function polygonProblem(pts: readonly Point[]): PolygonProblem | null {
  const n = pts.length;
  if (n < 3) return 'too_few_points';
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue; // neighbours share a point
      if (cross(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n])) return 'edges_cross';
    }
  }
  let area2 = 0;
  for (let i = 0; i < n; i++) area2 += pts[i][0] * pts[(i + 1) % n][1] - pts[(i + 1) % n][0] * pts[i][1];
  return Math.abs(area2) < 1e-9 ? 'zero_area' : null;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** A pointer position inside a drawn rectangle, as frame coordinates (rounded to 4 places, clamped). */
export function toFrame(clientX: number, clientY: number, rect: { left: number; top: number; width: number; height: number }): Point {
  const r = (v: number) => Math.round(clamp01(v) * 10_000) / 10_000;
  return [r((clientX - rect.left) / rect.width), r((clientY - rect.top) / rect.height)];
}

/** The midpoint of each edge, where the editor offers to insert a point. */
export function edgeMidpoints(pts: readonly Point[]): Point[] {
  return pts.map((p, i) => {
    const q = pts[(i + 1) % pts.length];
    return [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
  });
}

/** A fresh zone id not used yet: zone-1, zone-2, … */
export function nextZoneId(taken: readonly string[]): string {
  for (let i = 1; ; i++) if (!taken.includes(`zone-${i}`)) return `zone-${i}`;
}

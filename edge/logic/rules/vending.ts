/**
 * no_vending zones: new objects standing in the zone (scene occupancy, edge/logic/occupancy/) past
 * the dwell. Tended by a person for `tendingShare` of the dwell they are a stall (`street_vending`);
 * untended, goods left on the pavement (`obstruction`, where the zone asks for it).
 */
import type { PixelBox } from '../../../detector/types.js';
import type { NoVendingZone } from '../../config.js';
import type { Track, ViolationCandidate } from '../violation.js';
import { isScheduleActive } from '../zones.js';
import { boxGap, boxHeight, overlapShare, trackHasClass, type RuleContext } from './shared.js';

/** A person faster than this (own box heights per second, ~slow walk) is passing by, not tending a stall. */
export const MAX_TENDING_SPEED = 0.4;
/** How much a new object alone is believed to be a stall or goods. */
export const OBJECT_CONFIDENCE = 0.5;
/** Share of a goods detection's box that must lie on the object for it to vouch for the object. */
const ON_OBJECT = 0.5;

/**
 * One candidate per stationary object of the zone once it has stood for the dwell. The type is
 * settled by then (tending is counted within the dwell only), so it does not flip later. A detected
 * goods class on the object raises the confidence as independent evidence (noisy-OR).
 */
export function vendingCandidates(zone: NoVendingZone, tracks: readonly Track[], ctx: RuleContext): ViolationCandidate[] {
  if (!isScheduleActive(zone.schedule, ctx.tsMs, ctx.timeZone)) return [];
  const dwellMs = zone.dwellSeconds * 1000;
  const out: ViolationCandidate[] = [];
  for (const o of ctx.stationaryObjects ?? []) {
    if (o.zoneId !== zone.id || ctx.tsMs - o.sinceMs < dwellMs) continue;
    const tended = o.tendedMs >= zone.tendingShare * dwellMs;
    if (!tended && !zone.obstructions) continue;
    const goods = tracks.filter(
      (t) => t.confirmed && t.score >= zone.minConfidence && trackHasClass(t, zone.goodsClasses) && overlapShare(t.box, o.box) >= ON_OBJECT,
    );
    const best = Math.max(0, ...goods.map((t) => t.score));
    const people = tended ? tendingPeople(zone, tracks, o.box) : [];
    out.push({
      key: `${zone.id}/${o.id}`,
      zoneId: zone.id,
      type: tended ? 'street_vending' : 'obstruction',
      label: goods.length ? [...new Set(goods.map((t) => t.label))].join('+') : 'object',
      confidence: 1 - (1 - OBJECT_CONFIDENCE) * (1 - best),
      box: o.box,
      subjectTrackIds: [...goods.map((t) => t.id), ...people.map((t) => t.id)],
      dwellStartMs: o.sinceMs,
      firstSeenMs: o.sinceMs,
    });
  }
  return out;
}

/**
 * People seen in this frame standing or moving slowly within personNearFactor object heights of the
 * box. A track coasting on its last box (not matched) says nothing about where its person is now.
 */
export function tendingPeople(zone: NoVendingZone, tracks: readonly Track[], box: PixelBox): Track[] {
  return tracks.filter(
    (t) => t.confirmed && t.matched && trackHasClass(t, zone.personClasses) && !walkingPast(t) && boxGap(t.box, box) <= zone.personNearFactor * boxHeight(box),
  );
}

function walkingPast(t: Track): boolean {
  return Math.hypot(t.velocity.x, t.velocity.y) > MAX_TENDING_SPEED * boxHeight(t.box);
}

/** no_vending zones: a stall (stationary goods close together) tended by a person. */
import type { NoVendingZone } from '../../config.js';
import type { Track, ViolationCandidate } from '../violation.js';
import { boxInZone, isScheduleActive } from '../zones.js';
import { boxGap, boxHeight, olderFirst, trackHasClass, unionBox, type RuleContext } from './shared.js';

/** A person faster than this (own box heights per second, ~slow walk) is passing by, not tending a stall. */
export const MAX_TENDING_SPEED = 0.4;

/**
 * One candidate per cluster of stationary goods in the zone that has a person near it.
 * Dwell counts from the earliest stationarySinceMs of the cluster's goods; the key comes from the
 * oldest goods track so it survives goods joining/leaving (if that oldest item goes, it is a new key).
 * People are never the subject on their own: without goods there is nothing to sell.
 */
export function vendingCandidates(zone: NoVendingZone, tracks: readonly Track[], ctx: RuleContext): ViolationCandidate[] {
  if (!isScheduleActive(zone.schedule, ctx.tsMs, ctx.timeZone)) return [];
  const goods = tracks.filter(
    (t) =>
      t.confirmed &&
      t.stationary &&
      t.stationarySinceMs !== null &&
      t.score >= zone.minConfidence &&
      trackHasClass(t, zone.goodsClasses) &&
      boxInZone(t.box, zone.polygon, ctx.frame),
  );
  const goodsIds = new Set(goods.map((t) => t.id));
  const people = tracks.filter(
    (t) => t.confirmed && !goodsIds.has(t.id) && trackHasClass(t, zone.personClasses) && !walkingPast(t),
  );
  const out: ViolationCandidate[] = [];
  for (const cluster of clusterGoods(goods, zone.clusterGapFactor)) {
    const box = unionBox(cluster.map((t) => t.box));
    const near = people.filter((p) => boxGap(p.box, box) <= zone.personNearFactor * boxHeight(box));
    if (near.length === 0) continue;
    const dwellStartMs = Math.min(...cluster.map((t) => t.stationarySinceMs!));
    if (ctx.tsMs - dwellStartMs < zone.dwellSeconds * 1000) continue;
    const oldest = cluster[0];
    out.push({
      key: `${zone.id}/${oldest.id}`,
      zoneId: zone.id,
      type: 'street_vending',
      label: [...new Set(cluster.map((t) => t.label))].join('+'),
      confidence: cluster.reduce((s, t) => s + t.score, 0) / cluster.length,
      box,
      subjectTrackIds: [...cluster.map((t) => t.id), ...near.map((p) => p.id)],
      dwellStartMs,
      firstSeenMs: oldest.firstSeenMs,
    });
  }
  return out;
}

function walkingPast(t: Track): boolean {
  return Math.hypot(t.velocity.x, t.velocity.y) > MAX_TENDING_SPEED * boxHeight(t.box);
}

/** Single-linkage clusters: two goods belong together when their gap ≤ factor × the taller one's height. Each cluster is sorted oldest first. */
export function clusterGoods(goods: readonly Track[], gapFactor: number): Track[][] {
  const parent = goods.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i])));
  for (let i = 0; i < goods.length; i++) {
    for (let j = i + 1; j < goods.length; j++) {
      const a = goods[i].box;
      const b = goods[j].box;
      if (boxGap(a, b) <= gapFactor * Math.max(boxHeight(a), boxHeight(b))) parent[root(i)] = root(j);
    }
  }
  const groups = new Map<number, Track[]>();
  goods.forEach((t, i) => {
    const r = root(i);
    groups.set(r, [...(groups.get(r) ?? []), t]);
  });
  return [...groups.values()].map((g) => g.sort(olderFirst)).sort((a, b) => olderFirst(a[0], b[0]));
}

/** Greedy non-maximum suppression, per class: overlapping boxes of different classes both stay. */
import { StreetWatchError } from '../common/errors.js';
import type { PixelBox } from './types.js';

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: PixelBox, b: PixelBox): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Keeps, highest score first, each box that overlaps no kept box of its class by more than
 * `iouThreshold`. `groupOf[classId]`, if given, makes classes with the same group suppress each
 * other (e.g. car/truck/bus, between which a van's label flips), keeping the best-scoring label.
 */
export function nms<T extends { box: PixelBox; classId: number; score: number }>(
  items: readonly T[],
  iouThreshold: number,
  groupOf?: ArrayLike<number>,
): T[] {
  const group = (classId: number) => (groupOf ? groupOf[classId] : classId);
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const c of sorted) {
    const g = group(c.classId);
    if (!kept.some((k) => group(k.classId) === g && iou(k.box, c.box) > iouThreshold)) kept.push(c);
  }
  return kept;
}

/** NMS group per class id: its own id, or the first id of the merge group it belongs to. */
export function nmsGroupTable(classNames: readonly string[], groups: string[][]): Int32Array {
  const table = Int32Array.from(classNames, (_, i) => i);
  for (const group of groups) {
    const ids = group.map((label) => {
      const id = classNames.indexOf(label);
      if (id < 0) throw new StreetWatchError('DETECTOR_CONFIG', `nmsMergeClasses: "${label}" is not a class of this model`);
      return id;
    });
    for (const id of ids) table[id] = ids[0];
  }
  return table;
}

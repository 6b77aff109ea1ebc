/**
 * Exempt plates on the box: vehicles no parking rule applies to (police, ambulance, permit holders),
 * as the centre sends them in `config/desired`. Plates are compared in their canonical form, so one
 * typed with a separator or a look-alike character matches the recogniser's read.
 */
import { normalisePlateText } from '../../common/plate-normalise.js';
import type { ExemptPlate } from '../../contract/index.js';

export class ExemptPlates {
  /** Canonical plate → end of the exemption (epoch ms; Infinity: until removed). */
  private readonly until = new Map<string, number>();

  constructor(list: readonly ExemptPlate[]) {
    for (const p of list) {
      const key = normalisePlateText(p.plate);
      const ends = p.expiresAt === undefined ? Infinity : Date.parse(p.expiresAt);
      // The same plate listed twice (a permit renewed): the longer exemption wins.
      this.until.set(key, Math.max(ends, this.until.get(key) ?? -Infinity));
    }
  }

  /** Whether a vehicle with this plate is exempt at `nowMs` (an exemption ends at its `expiresAt`). */
  isExempt(plateText: string, nowMs: number): boolean {
    const ends = this.until.get(normalisePlateText(plateText));
    return ends !== undefined && nowMs < ends;
  }
}

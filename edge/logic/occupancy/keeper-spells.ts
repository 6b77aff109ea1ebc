/**
 * How long a stationary object was tended, counted in keeper spells: one person near it, standing or
 * moving slowly. Only a spell lasting `keeperMinMs` counts (then in full): passers-by each near the
 * object for a moment never add up to a keeper.
 */
import type { PixelBox } from '../../../detector/types.js';
import { overlapShare } from '../rules/shared.js';

/**
 * A spell outlives this long a gap in its person's tending: a keeper is hidden by a passer-by, seen
 * jerking for a frame, or lost by the tracker and found again under a new id where they stood.
 */
export const KEEPER_GAP_MS = 2_000;
/** Share of the smaller box a new track must share with a lost keeper's last box to be them found again. */
const SAME_PLACE = 0.5;

interface Spell {
  startMs: number;
  /** The last sample its person tended the object, and where they stood then. */
  lastMs: number;
  box: PixelBox;
}

export interface TendingTally {
  /** Tended time credited so far. */
  tendedMs: number;
  /** Credited time ends here: a spell overlapping one already credited adds only what is new. */
  creditedUntilMs: number;
  /** Track id → its spell, ongoing or within KEEPER_GAP_MS of its end. */
  spells: ReadonlyMap<string, Spell>;
}

export const NO_TENDING: TendingTally = { tendedMs: 0, creditedUntilMs: -Infinity, spells: new Map() };

/** A person tending the object in a sample: their track id and box. */
export interface Keeper {
  id: string;
  box: PixelBox;
}

/** The tally after a sample at `tsMs`, covering the `dtMs` before it, in which `keepers` tended the object. */
export function tallyTending(tally: TendingTally, tsMs: number, dtMs: number, keepers: readonly Keeper[], keeperMinMs: number): TendingTally {
  const alive = [...tally.spells].filter(([, s]) => tsMs - s.lastMs <= KEEPER_GAP_MS + dtMs);
  const lost = new Map(alive.filter(([id]) => !keepers.some((k) => k.id === id)));
  const spells = new Map(alive);
  for (const k of keepers) {
    const own = tally.spells.get(k.id);
    const found = own ? undefined : [...lost].find(([, s]) => overlapShare(s.box, k.box) >= SAME_PLACE);
    if (found) {
      lost.delete(found[0]);
      spells.delete(found[0]);
    }
    const startMs = (own && spells.has(k.id) ? own.startMs : found?.[1].startMs) ?? tsMs - dtMs;
    spells.set(k.id, { startMs, lastMs: tsMs, box: k.box });
  }
  const ongoing = [...spells.values()].filter((s) => s.lastMs === tsMs && tsMs - s.startMs >= keeperMinMs);
  if (ongoing.length === 0) return { ...tally, spells };
  const fromMs = Math.max(Math.min(...ongoing.map((s) => s.startMs)), tally.creditedUntilMs);
  return { tendedMs: tally.tendedMs + tsMs - fromMs, creditedUntilMs: tsMs, spells };
}

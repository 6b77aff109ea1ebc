/**
 * How long a stationary object was tended, counted in keeper spells: one person (one track) near it,
 * standing or moving slowly, in consecutive samples. Only a spell lasting `keeperMinMs` counts (then
 * in full): passers-by each near the object for a moment never add up to a keeper.
 */

export interface TendingTally {
  /** Tended time credited so far. */
  tendedMs: number;
  /** Credited time ends here: a spell overlapping one already credited adds only what is new. */
  creditedUntilMs: number;
  /** Track id → start of its ongoing spell (epoch ms). */
  spells: ReadonlyMap<string, number>;
}

export const NO_TENDING: TendingTally = { tendedMs: 0, creditedUntilMs: -Infinity, spells: new Map() };

/**
 * The tally after a sample at `tsMs`, covering the `dtMs` before it, in which the tracks `keeperIds`
 * tended the object. A spell ends at the first sample its track is not among them.
 */
export function tallyTending(tally: TendingTally, tsMs: number, dtMs: number, keeperIds: readonly string[], keeperMinMs: number): TendingTally {
  const spells = new Map(keeperIds.map((id) => [id, tally.spells.get(id) ?? tsMs - dtMs] as const));
  const keepers = [...spells.values()].filter((startMs) => tsMs - startMs >= keeperMinMs);
  if (keepers.length === 0) return { ...tally, spells };
  const fromMs = Math.max(Math.min(...keepers), tally.creditedUntilMs);
  return { tendedMs: tally.tendedMs + tsMs - fromMs, creditedUntilMs: tsMs, spells };
}

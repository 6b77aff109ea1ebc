/**
 * The plate of each dwelling vehicle, decided by vote over several reads: one read of a plate seen
 * at an angle, in glare or behind a passer-by is often one character off; the same text read again
 * and again is not. Pure: time is passed in.
 */

export interface PlateVoteOptions {
  /** Reads below this confidence (or not matching the plate format) are no vote. */
  minConfidence: number;
  /** At most one read per vehicle this often; after each read that finds no plate at all, MISS_BACKOFF times longer. */
  intervalMs: number;
  /** No more reads after this many… */
  maxReads: number;
  /** …or once this many reads agree. */
  agreeingReads: number;
}

/** One read of one vehicle's plate: the best plate found on it, or null when none was found. */
export interface PlateAttempt<T> {
  text: string;
  confidence: number;
  valid: boolean;
  /** What the caller keeps with the winning read (its close-up, box, type…). */
  detail: T;
}

export interface PlateDecision<T> {
  text: string;
  /** Mean confidence of the agreeing reads. */
  confidence: number;
  votes: number;
  /** Time of the most confident agreeing read. */
  readAtMs: number;
  /** Detail of the most confident agreeing read. */
  detail: T;
}

interface Candidate<T> {
  votes: number;
  confidenceSum: number;
  best: { confidence: number; atMs: number; detail: T };
}

/**
 * A vehicle whose plate is not found (side-on, hidden by another car) is probably not readable
 * from this camera: look again less and less often instead of spending the box's CPU on it.
 */
export const MISS_BACKOFF = 4;
const MAX_BACKOFF = 64;

interface VehicleReads<T> {
  reads: number;
  /** Reads in a row that found no plate at all. */
  misses: number;
  lastAttemptMs: number;
  inFlight: boolean;
  texts: Map<string, Candidate<T>>;
}

export class PlateVotes<T> {
  private readonly vehicles = new Map<string, VehicleReads<T>>();

  constructor(private readonly opts: PlateVoteOptions) {}

  /** Whether the vehicle's plate should be read now. */
  due(key: string, tsMs: number): boolean {
    const v = this.vehicles.get(key);
    if (!v) return true;
    if (v.inFlight || v.reads >= this.opts.maxReads) return false;
    if (this.settled(v)) return false;
    return tsMs - v.lastAttemptMs >= this.opts.intervalMs * Math.min(MAX_BACKOFF, MISS_BACKOFF ** v.misses);
  }

  /** A read of the vehicle's plate starts at tsMs (at most one at a time per vehicle). */
  begin(key: string, tsMs: number): void {
    const v = this.vehicles.get(key) ?? { reads: 0, misses: 0, lastAttemptMs: tsMs, inFlight: false, texts: new Map() };
    v.inFlight = true;
    v.lastAttemptMs = tsMs;
    this.vehicles.set(key, v);
  }

  /** The outcome of the read begun at tsMs; returns true when it changed the decision. */
  record(key: string, tsMs: number, attempt: PlateAttempt<T> | null): boolean {
    const v = this.vehicles.get(key);
    if (!v) return false; // forgotten while the read ran: the vehicle has gone
    v.inFlight = false;
    v.reads++;
    v.misses = attempt ? 0 : v.misses + 1;
    if (!attempt || !attempt.valid || attempt.confidence < this.opts.minConfidence) return false;
    const before = this.decision(key);
    const c = v.texts.get(attempt.text) ?? { votes: 0, confidenceSum: 0, best: { confidence: -1, atMs: tsMs, detail: attempt.detail } };
    c.votes++;
    c.confidenceSum += attempt.confidence;
    if (attempt.confidence > c.best.confidence) c.best = { confidence: attempt.confidence, atMs: tsMs, detail: attempt.detail };
    v.texts.set(attempt.text, c);
    const after = this.decision(key);
    return before?.text !== after?.text || before?.readAtMs !== after?.readAtMs;
  }

  /** The read failed outright (not "no plate"): it counts as an attempt so a broken read cannot loop. */
  fail(key: string): void {
    const v = this.vehicles.get(key);
    if (!v) return;
    v.inFlight = false;
    v.reads++;
  }

  /** Most votes wins; a tie goes to the higher summed confidence. Undefined: unread so far. */
  decision(key: string): PlateDecision<T> | undefined {
    const v = this.vehicles.get(key);
    if (!v) return undefined;
    let winner: [string, Candidate<T>] | undefined;
    for (const entry of v.texts) {
      const [, c] = entry;
      if (!winner || c.votes > winner[1].votes || (c.votes === winner[1].votes && c.confidenceSum > winner[1].confidenceSum)) winner = entry;
    }
    if (!winner) return undefined;
    const [text, c] = winner;
    return { text, confidence: c.confidenceSum / c.votes, votes: c.votes, readAtMs: c.best.atMs, detail: c.best.detail };
  }

  /** Drops every vehicle not in `keep` (tracks that ended). */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.vehicles.keys()) if (!keep.has(key)) this.vehicles.delete(key);
  }

  private settled(v: VehicleReads<T>): boolean {
    for (const c of v.texts.values()) if (c.votes >= this.opts.agreeingReads) return true;
    return false;
  }
}

import type { PixelBox } from '../../../detector/types.js';

/** A new object standing in a no_vending zone, as scene occupancy reports it to the rules. */
export interface StationaryObject {
  /** Unique per camera (SceneOccupancy instance). */
  id: string;
  zoneId: string;
  box: PixelBox;
  /** When it was first seen: its dwell counts from here. */
  sinceMs: number;
  /** How long, within the zone's dwell from sinceMs, a person stood or moved slowly near it. */
  tendedMs: number;
}

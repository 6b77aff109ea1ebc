/** The scene the pure rule tests share: a 1000×500 frame whose lower right is a no-parking kerb. */
import { noParkingZoneSchema, type NoParkingZone } from '../config.js';

export const T0 = Date.UTC(2024, 0, 1, 12, 0); // Monday 12:00 UTC
export const FRAME = { width: 1000, height: 500 };

/** The kerb: x 400..1000 px, y 250..500 px. */
export function kerbZone(dwellSeconds: number): NoParkingZone {
  return noParkingZoneSchema.parse({
    id: 'kerb',
    kind: 'no_parking',
    polygon: [
      [0.4, 0.5],
      [1, 0.5],
      [1, 1],
      [0.4, 1],
    ],
    dwellSeconds,
  });
}

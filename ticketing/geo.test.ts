import { describe, expect, it } from 'vitest';
import { teamForLocation } from './assignment.js';
import { distanceMeters, insidePolygon } from './geo.js';

describe('distanceMeters', () => {
  it('is 0 for one point, ~111 m per 0.001° of latitude, ~94 m per 0.001° of longitude at 32°N', () => {
    const p = { lat: 32.06, long: 118.79 };
    expect(distanceMeters(p, p)).toBe(0);
    expect(distanceMeters(p, { lat: 32.061, long: 118.79 })).toBeCloseTo(111.2, 0);
    expect(distanceMeters(p, { lat: 32.06, long: 118.791 })).toBeCloseTo(94.3, 0);
    // Nanjing to Shanghai, ~270 km.
    expect(distanceMeters(p, { lat: 31.23, long: 121.47 }) / 1000).toBeCloseTo(270, -1);
  });
});

describe('insidePolygon and the team of a place', () => {
  const square = [{ lat: 0, long: 0 }, { lat: 0, long: 1 }, { lat: 1, long: 1 }, { lat: 1, long: 0 }];
  // An L: the notch at the top right is outside.
  const ell = [{ lat: 0, long: 0 }, { lat: 0, long: 2 }, { lat: 1, long: 2 }, { lat: 1, long: 1 }, { lat: 2, long: 1 }, { lat: 2, long: 0 }];

  it('tells inside from outside, concave shapes included', () => {
    expect(insidePolygon({ lat: 0.5, long: 0.5 }, square)).toBe(true);
    expect(insidePolygon({ lat: 1.5, long: 0.5 }, square)).toBe(false);
    expect(insidePolygon({ lat: -0.1, long: 0.5 }, square)).toBe(false);
    expect(insidePolygon({ lat: 1.5, long: 0.5 }, ell)).toBe(true);
    expect(insidePolygon({ lat: 1.5, long: 1.5 }, ell)).toBe(false);
    expect(insidePolygon({ lat: 0.5, long: 1.5 }, ell)).toBe(true);
  });

  it('gives a place to the first team with an area around it, else the default team', () => {
    const config = {
      defaultTeam: 'city',
      teams: [
        { id: 'city', officers: [] },
        { id: 'west', officers: [], areas: [{ polygon: ell }] },
        { id: 'also-west', officers: [], areas: [{ polygon: square }] },
      ],
    };
    expect(teamForLocation(config, { lat: 0.5, long: 0.5 })).toBe('west');
    expect(teamForLocation(config, { lat: 1.5, long: 1.5 })).toBe('city');
    expect(teamForLocation(config, { lat: 5, long: 5 })).toBe('city');
  });
});

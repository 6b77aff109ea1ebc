import { describe, expect, it } from 'vitest';
import { autoConfirmThreshold, isAutoConfirmed, locationFor, pickOfficer, teamFor } from './assignment.js';
import { centerConfigSchema, type TeamConfig } from '../center/config.js';

const config = centerConfigSchema.parse({
  teams: [{ id: 'north', officers: [{ id: 'a' }, { id: 'b' }, { id: 'c', onDuty: false }] }, { id: 'south' }, { id: 'central' }],
  defaultTeam: 'central',
  cameras: [
    { deviceId: 'pole-1', cameraId: 'cam-1', location: { lat: 52.1, long: 4.3, address: 'Main St 1' }, team: 'north' },
    { deviceId: 'pole-2', cameraId: 'cam-1', location: { lat: 52.2, long: 4.4 } },
  ],
  zones: [{ deviceId: 'pole-1', cameraId: 'cam-1', zoneId: 'market', team: 'south' }],
  confirmation: { autoConfirm: { illegal_parking: 0.6 }, cameras: { 'pole-2/cam-1': { street_vending: 0.9, illegal_parking: 0.4 } } },
});

describe('teamFor', () => {
  it('uses the zone mapping, then the camera team, then the default team', () => {
    expect(teamFor(config, 'pole-1', 'cam-1', 'market')).toBe('south');
    expect(teamFor(config, 'pole-1', 'cam-1', 'kerb')).toBe('north');
    expect(teamFor(config, 'pole-2', 'cam-1', 'market')).toBe('central');
    expect(teamFor(config, 'pole-9', 'cam-9', 'kerb')).toBe('central');
  });
});

describe('pickOfficer', () => {
  const north = config.teams[0] as TeamConfig;
  it('picks the on-duty officer with the fewest open orders, missing counts as 0', () => {
    expect(pickOfficer(north, new Map([['a', 3], ['b', 1], ['c', 0]]))).toBe('b');
    expect(pickOfficer(north, new Map([['a', 2]]))).toBe('b');
  });
  it('breaks ties by roster order', () => {
    expect(pickOfficer(north, new Map([['a', 1], ['b', 1]]))).toBe('a');
    expect(pickOfficer(north, new Map())).toBe('a');
  });
  it('returns null when nobody is on duty', () => {
    expect(pickOfficer(config.teams[1] as TeamConfig, new Map())).toBeNull();
    expect(pickOfficer({ ...north, officers: [{ id: 'c', onDuty: false }] }, new Map())).toBeNull();
  });
});

describe('auto-confirmation', () => {
  it('uses the camera override, else the type default, else never', () => {
    expect(autoConfirmThreshold(config, 'illegal_parking', 'pole-1', 'cam-1')).toBe(0.6);
    expect(autoConfirmThreshold(config, 'illegal_parking', 'pole-2', 'cam-1')).toBe(0.4);
    expect(autoConfirmThreshold(config, 'street_vending', 'pole-2', 'cam-1')).toBe(0.9);
    expect(autoConfirmThreshold(config, 'street_vending', 'pole-1', 'cam-1')).toBeNull();
  });
  it('confirms at or above the threshold', () => {
    expect(isAutoConfirmed(config, 'illegal_parking', 'pole-1', 'cam-1', 0.6)).toBe(true);
    expect(isAutoConfirmed(config, 'illegal_parking', 'pole-1', 'cam-1', 0.59)).toBe(false);
    expect(isAutoConfirmed(config, 'illegal_parking', 'pole-2', 'cam-1', 0.45)).toBe(true);
    expect(isAutoConfirmed(config, 'street_vending', 'pole-1', 'cam-1', 1)).toBe(false);
  });
  it('defaults to 0.6 / 0.7 when not configured', () => {
    const plain = centerConfigSchema.parse({ teams: [{ id: 't' }], defaultTeam: 't' });
    expect(autoConfirmThreshold(plain, 'illegal_parking', 'p', 'c')).toBe(0.6);
    expect(autoConfirmThreshold(plain, 'street_vending', 'p', 'c')).toBe(0.7);
  });
});

describe('locationFor', () => {
  it('returns the camera location, or null for an unknown camera', () => {
    expect(locationFor(config, 'pole-1', 'cam-1')).toEqual({ lat: 52.1, long: 4.3, address: 'Main St 1' });
    expect(locationFor(config, 'pole-2', 'cam-1')).toEqual({ lat: 52.2, long: 4.4 });
    expect(locationFor(config, 'pole-3', 'cam-1')).toBeNull();
  });
});

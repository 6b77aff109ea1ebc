import { describe, expect, it } from 'vitest';
import { edgeClientId } from '../contract/index.js';
import { reservedClientId } from './session-owners.js';

describe('reservedClientId', () => {
  const pole1 = { kind: 'device', deviceId: 'pole-1' } as const;

  it("keeps the centre's connection ids and other boxes' edge ids from a device", () => {
    expect(reservedClientId(pole1, 'streetwatch-ingest-a')).toMatch(/centre/);
    expect(reservedClientId(pole1, 'streetwatch-center-a-123')).toMatch(/centre/);
    expect(reservedClientId(pole1, 'streetwatch-api-a-1')).toMatch(/centre/);
    expect(reservedClientId(pole1, edgeClientId('pole-2'))).toMatch(/another box/);
    expect(reservedClientId(pole1, edgeClientId('pole-10'))).toMatch(/another box/);
  });

  it('leaves a device its own edge id and ids of its choosing, and the centre any id', () => {
    expect(reservedClientId(pole1, edgeClientId('pole-1'))).toBeNull();
    expect(reservedClientId(pole1, 'my-test-rig')).toBeNull();
    expect(reservedClientId({ kind: 'center' }, edgeClientId('pole-2'))).toBeNull();
  });
});

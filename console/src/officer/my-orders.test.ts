import { describe, expect, it } from 'vitest';
import type { WorkOrder } from '../api-types';
import { distanceKm, mapLinks, sortMyOrders } from './my-orders';

const SLA = { targetMinutes: 40, yellowAt: 0.5, redAt: 0.8 };
const NOW = Date.UTC(2026, 11, 5, 9, 0);
const ago = (min: number) => new Date(NOW - min * 60_000).toISOString();
type O = Pick<WorkOrder, 'id' | 'discoveredAt' | 'deadlineAt' | 'location'>;
const order = (id: string, minAgo: number, lat: number | null): O => ({
  id,
  discoveredAt: ago(minAgo),
  deadlineAt: ago(minAgo - 40),
  location: lat === null ? null : { lat, long: 118.79 },
});

describe('sortMyOrders', () => {
  it('puts red before yellow before green, then the nearest first, then the earliest deadline', () => {
    const here = { lat: 32.0, long: 118.79 };
    const orders = [
      order('green-near', 1, 32.001),
      order('yellow-far', 25, 32.2),
      order('red', 35, 32.3),
      order('yellow-near', 22, 32.01),
      order('green-nowhere', 2, null),
      order('green-far', 3, 32.1),
    ];
    expect(sortMyOrders(orders, NOW, SLA, here).map((o) => o.id)).toEqual(['red', 'yellow-near', 'yellow-far', 'green-near', 'green-far', 'green-nowhere']);
  });

  it('without a position sorts by light, then deadline', () => {
    const orders = [order('b', 5, 32.1), order('a', 10, 32.0), order('r', 39, null)];
    expect(sortMyOrders(orders, NOW, SLA, null).map((o) => o.id)).toEqual(['r', 'a', 'b']);
  });
});

describe('distanceKm and mapLinks', () => {
  it('measures the great-circle distance', () => {
    // One degree of latitude is about 111.2 km.
    expect(distanceKm({ lat: 32, long: 118.79 }, { lat: 33, long: 118.79 })).toBeCloseTo(111.19, 1);
    expect(distanceKm({ lat: 32, long: 118.79 }, { lat: 32, long: 118.79 })).toBe(0);
  });

  it('links a geo: URI and a web map to the place', () => {
    const links = mapLinks({ lat: 32.06, long: 118.79, address: '1 Zhongshan Rd' });
    expect(links.geo).toBe('geo:32.06,118.79?q=32.06,118.79(1%20Zhongshan%20Rd)');
    expect(links.web).toContain('position=118.79,32.06');
  });
});

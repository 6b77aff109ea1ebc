import { describe, expect, it } from 'vitest';
import { ParsedOrders } from './parsed-orders.js';
import type { WorkOrder } from './work-order.js';

const order = (id: string) => ({ id }) as WorkOrder;

describe('ParsedOrders', () => {
  it('gives back an order only for the very JSON it was parsed from', () => {
    const kept = new ParsedOrders(10);
    const a = order('a');
    kept.set('a', '{"id":"a","v":1}', a);
    expect(kept.get('a', '{"id":"a","v":1}')).toBe(a);
    expect(kept.get('a', '{"id":"a","v":2}')).toBeUndefined(); // written since by someone else
    expect(kept.get('b', '{"id":"a","v":1}')).toBeUndefined();
  });

  it('keeps at most its bound, dropping the least recently used', () => {
    const kept = new ParsedOrders(2);
    kept.set('a', 'A', order('a'));
    kept.set('b', 'B', order('b'));
    expect(kept.get('a', 'A')?.id).toBe('a'); // a used: b is now the oldest
    kept.set('c', 'C', order('c'));
    expect(kept.size).toBe(2);
    expect(kept.get('b', 'B')).toBeUndefined();
    expect(kept.get('a', 'A')?.id).toBe('a');
    expect(kept.get('c', 'C')?.id).toBe('c');
  });
});

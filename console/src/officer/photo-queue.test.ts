import { describe, expect, it } from 'vitest';
import { photoId, stateOf, type QueuedPhoto } from './photo-queue';

const photo = (id: string, orderId: string, attempts = 0): QueuedPhoto => ({ id, orderId, blob: new Blob(['x']), attempts, notBefore: 0 });

describe('photo queue', () => {
  it('counts the waiting photos per order and says when some are being retried', () => {
    expect(stateOf([photo('1', 'o1'), photo('2', 'o1'), photo('3', 'o2')])).toEqual({ pending: new Map([['o1', 2], ['o2', 1]]), retrying: false });
    expect(stateOf([photo('1', 'o1', 1)]).retrying).toBe(true);
    expect(stateOf([])).toEqual({ pending: new Map(), retrying: false });
  });

  it('names photos in the order they were taken', () => {
    expect(photoId(1_000) < photoId(2_000)).toBe(true);
    expect(photoId(Date.UTC(2030, 0, 1)) < photoId(Date.UTC(2030, 0, 1, 0, 0, 1))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { closestWord, editDistance } from './closest-word.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['dwelSeconds', 'dwellSeconds', 1],
    ['flaw', 'lawn', 2],
    ['same', 'same', 0],
    ['knid', 'kind', 1],
    ['ab', 'ba', 1],
  ])('%s → %s is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closestWord', () => {
  const keys = ['dwellSeconds', 'graceSeconds', 'updateSeconds', 'id', 'kind', 'polygon', 'fps'];

  it('finds a missing, extra or swapped letter', () => {
    expect(closestWord('dwelSeconds', keys)).toBe('dwellSeconds');
    expect(closestWord('polygonn', keys)).toBe('polygon');
    expect(closestWord('plygon', keys)).toBe('polygon');
    expect(closestWord('knid', keys)).toBe('kind');
  });

  it('a wrong case always matches, however short the word', () => {
    expect(closestWord('FPS', keys)).toBe('fps');
    expect(closestWord('ID', keys)).toBe('id');
  });

  it('suggests nothing when no candidate is close', () => {
    expect(closestWord('colour', keys)).toBeUndefined();
    expect(closestWord('fp', ['id'])).toBeUndefined();
    expect(closestWord('anything', [])).toBeUndefined();
  });

  it('prefers the nearer of two candidates', () => {
    expect(closestWord('graceSecond', ['graceSeconds', 'raceSecond1'])).toBe('graceSeconds');
  });
});

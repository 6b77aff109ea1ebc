/** The self-test's rules on plain data; model-updater.test.ts runs it on real models. */
import { describe, expect, it } from 'vitest';
import type { ObjectBox } from '../../detector/types.js';
import { agreement, outputProblem } from './model-self-test.js';

const CLASSES = ['person', 'car', 'truck'];
const FRAME = { width: 200, height: 100 };
const obj = (label: string, x1: number, y1 = 10, w = 40, h = 30, score = 0.8): ObjectBox => ({
  box: { x1, y1, x2: x1 + w, y2: y1 + h }, classId: CLASSES.indexOf(label), label, score,
});

describe('outputProblem', () => {
  it('accepts sane objects and no objects', () => {
    expect(outputProblem([obj('car', 10), obj('person', 100)], FRAME, CLASSES)).toBeNull();
    expect(outputProblem([], FRAME, CLASSES)).toBeNull();
  });

  it.each([
    ['a NaN coordinate', { ...obj('car', 10), box: { x1: NaN, y1: 0, x2: 10, y2: 10 } }, /non-finite/],
    ['an infinite score', { ...obj('car', 10), score: Infinity }, /non-finite/],
    ['a box past the right edge', obj('car', 180), /outside the frame/],
    ['an empty box', obj('car', 10, 10, 0, 10), /outside the frame/],
    ['a zero score', obj('car', 10, 10, 40, 30, 0), /score 0/],
    ['a class id the model lacks', { ...obj('car', 10), classId: 7 }, /not one of the model's classes/],
  ])('names %s', (_what, o, expected) => {
    expect(outputProblem([obj('person', 100), o], FRAME, CLASSES)).toMatch(expected);
    expect(outputProblem([obj('person', 100), o], FRAME, CLASSES)).toMatch(/^object 1 /);
  });
});

describe('agreement', () => {
  it('counts reference objects found again with the same label and IoU ≥ 0.5', () => {
    const reference = [obj('car', 10), obj('truck', 100), obj('person', 150, 50, 20, 40)];
    expect(agreement(reference, reference)).toBe(3);
    // Shifted by 5 px of 40: IoU ≈ 0.78; by 20 px: IoU 1/3.
    expect(agreement(reference, [obj('car', 15), obj('truck', 120)])).toBe(1);
    // Same box, other label: not found.
    expect(agreement(reference, [obj('truck', 10)])).toBe(0);
    expect(agreement([], [obj('car', 10)])).toBe(0);
  });
});

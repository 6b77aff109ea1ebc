import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { objectKeysAt, takesTextAt } from './schema-keys.js';

const zone = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('parking'), dwellSeconds: z.number().default(300) }),
  z.strictObject({ kind: z.literal('vending'), goodsClasses: z.array(z.string()) }),
]);
const schema = z
  .strictObject({
    device: z.strictObject({ id: z.string() }),
    cameras: z.array(z.strictObject({ id: z.string(), zones: z.array(zone).default([]) })),
    model: z.union([z.strictObject({ name: z.string() }), z.strictObject({ path: z.string() })]).optional(),
    tuning: z.strictObject({ fps: z.number().default(2) }).prefault({}),
    byClass: z.record(z.string(), z.strictObject({ min: z.number() })),
  })
  .superRefine(() => {});

describe('objectKeysAt', () => {
  const doc = { cameras: [{ zones: [{ kind: 'vending' }, { kind: 'parking' }, { kind: 'other' }] }], byClass: { car: {} } };

  it('the root and nested objects, through arrays, defaults, refinements and records', () => {
    expect(objectKeysAt(schema, [], doc)).toEqual(['device', 'cameras', 'model', 'tuning', 'byClass']);
    expect(objectKeysAt(schema, ['device'], doc)).toEqual(['id']);
    expect(objectKeysAt(schema, ['cameras', 0], doc)).toEqual(['id', 'zones']);
    expect(objectKeysAt(schema, ['tuning'], doc)).toEqual(['fps']);
    expect(objectKeysAt(schema, ['byClass', 'car'], doc)).toEqual(['min']);
  });

  it('the member of a discriminated union the document chooses, all members when it chooses none', () => {
    expect(objectKeysAt(schema, ['cameras', 0, 'zones', 0], doc)).toEqual(['kind', 'goodsClasses']);
    expect(objectKeysAt(schema, ['cameras', 0, 'zones', 1], doc)).toEqual(['kind', 'dwellSeconds']);
    expect(objectKeysAt(schema, ['cameras', 0, 'zones', 2], doc)).toEqual(['kind', 'dwellSeconds', 'goodsClasses']);
  });

  it('every member of a plain union', () => {
    expect(objectKeysAt(schema, ['model'], doc)).toEqual(['name', 'path']);
  });

  it('nothing where the schema has no object', () => {
    expect(objectKeysAt(schema, ['device', 'id'], doc)).toEqual([]);
    expect(objectKeysAt(schema, ['nowhere', 'deeper'], doc)).toEqual([]);
  });
});

describe('takesTextAt', () => {
  const doc = { cameras: [{ zones: [{ kind: 'vending' }] }] };

  it('is true for a string field, also inside a union or behind a default', () => {
    expect(takesTextAt(schema, ['device', 'id'], doc)).toBe(true);
    expect(takesTextAt(schema, ['model', 'path'], doc)).toBe(true);
    expect(takesTextAt(schema, ['cameras', 0, 'zones', 0, 'goodsClasses', 3], doc)).toBe(true);
  });

  it('is false for numbers, objects and unknown fields', () => {
    expect(takesTextAt(schema, ['tuning', 'fps'], doc)).toBe(false);
    expect(takesTextAt(schema, ['cameras', 0], doc)).toBe(false);
    expect(takesTextAt(schema, ['nowhere'], doc)).toBe(false);
  });
});

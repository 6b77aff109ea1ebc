import { describe, expect, it } from 'vitest';
import { maskOrderForAudience, maskPlate, seesFullPlate, type PlateAudience } from './plate-mask.js';
import type { WorkOrder } from './work-order.js';

describe('maskPlate', () => {
  it('masks an 8-character new-energy plate', () => {
    expect(maskPlate('苏ED51712')).toBe('苏E·D5***2');
  });

  it('masks a 7-character plate', () => {
    expect(maskPlate('苏E12345')).toBe('苏E·12**5');
    expect(maskPlate('京A8B9C7')).toBe('京A·8B**7');
  });

  it('ignores separators already in the input', () => {
    expect(maskPlate('苏E·12345')).toBe('苏E·12**5');
    expect(maskPlate(' 苏E-D51712 ')).toBe('苏E·D5***2');
  });

  it('never reveals short or odd input', () => {
    expect(maskPlate('')).toBe('');
    expect(maskPlate('苏')).toBe('*');
    expect(maskPlate('苏E1')).toBe('***');
    expect(maskPlate('苏E123')).toBe('苏E·***');
    expect(maskPlate('苏E1234')).toBe('苏E·12*4');
  });

  it('keeps characters outside the BMP whole', () => {
    const masked = maskPlate('𠀀E12345');
    expect(masked).toBe('𠀀E·12**5');
  });
});

describe('maskOrderForAudience', () => {
  const order = {
    id: '01J0000000000000000000000A',
    plate: { text: '苏ED51712', confidence: 0.9, readAt: '2026-01-01T00:00:00.000Z' },
  } as WorkOrder;

  it.each<[PlateAudience, string]>([
    ['team', '苏ED51712'],
    ['operator', '苏ED51712'],
    ['supervisor', '苏E·D5***2'],
    ['open311', '苏E·D5***2'],
    ['log', '苏E·D5***2'],
  ])('%s sees %s', (audience, text) => {
    expect(maskOrderForAudience(order, audience).plate?.text).toBe(text);
    expect(seesFullPlate(audience)).toBe(text === '苏ED51712');
  });

  it('leaves the input untouched and orders without a plate alone', () => {
    const masked = maskOrderForAudience(order, 'supervisor');
    expect(order.plate?.text).toBe('苏ED51712');
    expect(masked.plate?.confidence).toBe(0.9);
    const none = { ...order, plate: null };
    expect(maskOrderForAudience(none, 'open311')).toBe(none);
  });
});

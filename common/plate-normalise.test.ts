import { describe, expect, it } from 'vitest';
import { normalisePlateText } from './plate-normalise.js';

describe('normalisePlateText', () => {
  it('drops the separator dot and spaces, makes full-width characters half-width and upper case', () => {
    expect(normalisePlateText('苏E·D51712')).toBe('苏ED51712');
    expect(normalisePlateText('津B.6H920')).toBe('津B6H920');
    expect(normalisePlateText('皖K-D0 1833')).toBe('皖KD01833');
    expect(normalisePlateText('京Ａ•１２３４５')).toBe('京A12345');
    expect(normalisePlateText('粤b_x1234:')).toBe('粤BX1234');
  });

  it('reads look-alikes by position: a digit as office letter, I/O in the serial', () => {
    expect(normalisePlateText('苏0D51712')).toBe('苏DD51712');
    expect(normalisePlateText('京8I2O45')).toBe('京B12045');
    expect(normalisePlateText('沪2·5O1I8')).toBe('沪Z50118');
    // Position 2 digits that look like no letter stay (and fail validation).
    expect(normalisePlateText('苏7D5171')).toBe('苏7D5171');
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_PLATE_FORMAT, plateFormat, plateType } from './plate-text.js';

describe('plate format', () => {
  const valid = plateFormat();
  it('accepts standard, new-energy (small and large) and trailer/learner plates', () => {
    for (const t of ['津B6H920', '苏ED51712', '皖KD01833', '粤B12345D', '京A1234挂', '沪C2345学', '藏DT5022']) expect(valid.test(t), t).toBe(true);
  });

  it('rejects texts that are not whole plates', () => {
    for (const t of ['DT5022', '藏DT50', 'X藏DT5022', '苏E051712', '苏ED5171A', '京I12345', '京A1234O', '纽A12345', '京A12345挂学', '']) {
      expect(valid.test(t), t).toBe(false);
    }
  });

  it('pins the large new-energy form of GA 36-2018: 5 digits then D or F, nothing else', () => {
    for (const t of ['粤B12345D', '粤B12345F']) expect(valid.test(t), t).toBe(true);
    for (const t of ['粤B12345A', '粤B12345E', '粤B123456', '粤B1234DF', '粤BD12345D']) expect(valid.test(t), t).toBe(false);
  });

  it('takes another format, matched against the whole text', () => {
    const nl = plateFormat('[A-Z]{2}-?[0-9]{3}-?[A-Z]');
    expect(nl.test('AB123C')).toBe(true);
    expect(nl.test('XAB123C')).toBe(false);
    expect(plateFormat(DEFAULT_PLATE_FORMAT).source).toBe(valid.source);
  });

  it('names a broken format', () => {
    expect(() => plateFormat('[A-Z')).toThrow(/plate format "\[A-Z" is not a valid regular expression/);
  });
});

describe('plateType', () => {
  it('is new_energy for 8 characters, double_layer for two-layer plates, else standard', () => {
    expect(plateType('苏ED51712', 1)).toBe('new_energy');
    expect(plateType('苏ED51712', 2)).toBe('new_energy');
    expect(plateType('津B6H920', 2)).toBe('double_layer');
    expect(plateType('津B6H920', 1)).toBe('standard');
  });
});

import { describe, expect, it } from 'vitest';
import { bytes, makeFormatter } from './format';

const AT = '2026-11-26T23:41:12.345Z';

describe('formats', () => {
  it('shows times in the centre time zone, not the browser one', () => {
    const sh = makeFormatter('en', 'Asia/Shanghai');
    expect(sh.time(AT)).toBe('07:41:12');
    expect(sh.dateTime(AT)).toBe('11-27 07:41');
    expect(sh.dateTime(AT, true)).toBe('2026-11-27 07:41');
    expect(makeFormatter('en', 'UTC').dateTime(AT)).toBe('11-26 23:41');
  });

  it('says how long ago, in the chosen language', () => {
    const now = Date.parse(AT);
    expect(makeFormatter('en', 'UTC').ago(now - 3 * 60_000, now)).toBe('3 minutes ago');
    expect(makeFormatter('en', 'UTC').ago(now - 5000, now)).toBe('5 seconds ago');
    expect(makeFormatter('zh-CN', 'UTC').ago(now - 3 * 60_000, now)).toBe('3分钟前');
    expect(makeFormatter('en', 'UTC').ago(now - 2 * 86_400_000, now)).toBe('2 days ago');
  });

  it('shows missing figures as a dash, shares as whole percents', () => {
    const f = makeFormatter('en', 'UTC');
    expect(f.percent(null)).toBe('—');
    expect(f.percent(0.873)).toBe('87%');
    expect(f.number(null)).toBe('—');
    expect(f.number(12.345, 1)).toBe('12.3');
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 KB');
    expect(bytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });
});

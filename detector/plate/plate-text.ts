/**
 * Plate text: what the recogniser read → the canonical plate string, checked against a format.
 * Pure functions; the format is a regex string so configs can override it (like Frigate's lpr.format).
 */
import { StreetWatchError } from '../../common/errors.js';

const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
/** Plate letters: A-Z without I and O, which Chinese plates never use (they read as 1 and 0). */
const LETTER = 'A-HJ-NP-Z';

/**
 * Mainland plates: province character, issuing-office letter, then 5 letters/digits (the last may
 * be 挂学警港澳) for standard plates, or 6 for new-energy plates, which GA 36-2018 fixes further:
 * D or F, a letter or digit, 4 digits (small vehicles) or 5 digits, D or F (large ones). The
 * stricter new-energy part turns a misread like 苏E051712 (D read as 0) into unread, not a guess.
 * Matched against the whole text.
 */
export const DEFAULT_PLATE_FORMAT =
  `[${PROVINCES}][${LETTER}](?:[${LETTER}0-9]{4}[${LETTER}0-9挂学警港澳]|[DF][${LETTER}0-9][0-9]{4}|[0-9]{5}[DF])`;

/** A whole-text matcher for a format regex string; a broken regex is a config error naming it. */
export function plateFormat(format: string = DEFAULT_PLATE_FORMAT): RegExp {
  try {
    return new RegExp(`^(?:${format})$`, 'u');
  } catch (err) {
    throw new StreetWatchError('PLATE_FORMAT', `plate format "${format}" is not a valid regular expression: ${(err as Error).message}`);
  }
}

export function plateType(text: string, layers: 1 | 2): 'standard' | 'new_energy' | 'double_layer' {
  if ([...text].length === 8) return 'new_energy';
  return layers === 2 ? 'double_layer' : 'standard';
}

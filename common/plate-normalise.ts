/**
 * Plate text as the box reads it and as the centre keeps it (exempt plates): one canonical form,
 * so a plate typed by an operator matches the same plate read by the recogniser.
 */
// The dot between office letter and serial, what OCR makes of it (also a colon), and spaces.
const SEPARATORS = /[·.:\-•・‧_\s]/gu;
// Position 2 is always a letter: digits it is misread as.
const OFFICE_LETTER: Record<string, string> = { '0': 'D', '8': 'B', '2': 'Z', '5': 'S' };
// From position 3 on there is no I or O: they are 1 and 0.
const SERIAL: Record<string, string> = { I: '1', O: '0' };

/** Full-width → half-width, upper case, separators dropped, look-alike characters unified by position. */
export function normalisePlateText(raw: string): string {
  const chars = [...toHalfWidth(raw).toUpperCase().replace(SEPARATORS, '')];
  return chars.map((c, i) => (i === 1 ? OFFICE_LETTER[c] : i > 1 ? SERIAL[c] : undefined) ?? c).join('');
}

function toHalfWidth(s: string): string {
  return s.replace(/[\uFF01-\uFF5E]/gu, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/gu, ' ');
}

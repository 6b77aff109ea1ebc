/**
 * Who may see a full licence plate. The team's officers need it to find the vehicle and operators
 * need it to review; everyone else (supervisors, Open311, logs) gets a masked plate.
 */
import type { WorkOrder } from './work-order.js';

export type PlateAudience =
  /** The order's team: its webhook and its MQTT orders topic. */
  | 'team'
  /** A signed-in operator (or admin) in the console/API. */
  | 'operator'
  | 'supervisor'
  | 'open311'
  | 'log';

const FULL_PLATE: ReadonlySet<PlateAudience> = new Set(['team', 'operator']);

export const seesFullPlate = (audience: PlateAudience): boolean => FULL_PLATE.has(audience);

/**
 * `苏ED51712` → `苏E·D5***2`, `苏E12345` → `苏E·12**5`: the province and issuing-office letters,
 * then the first two and the last character of the rest. Separators already in the input are
 * ignored; anything too short to mask meaningfully becomes all stars, so nothing leaks by accident.
 */
export function maskPlate(plate: string): string {
  // Array.from splits by code point, so a province character is never cut in half.
  const chars = Array.from(plate.replace(/[\s·•.\-_]/g, ''));
  if (chars.length <= 3) return '*'.repeat(chars.length);
  const head = chars.slice(0, 2).join('');
  const rest = chars.slice(2);
  if (rest.length < 4) return `${head}·${'*'.repeat(rest.length)}`;
  return `${head}·${rest.slice(0, 2).join('')}${'*'.repeat(rest.length - 3)}${rest[rest.length - 1]}`;
}

/** The order as `audience` may see it (a copy; the input is untouched). */
export function maskOrderForAudience(order: WorkOrder, audience: PlateAudience): WorkOrder {
  if (seesFullPlate(audience) || !order.plate) return order;
  return { ...order, plate: { ...order.plate, text: maskPlate(order.plate.text) } };
}

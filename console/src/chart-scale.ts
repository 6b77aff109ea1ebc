/** Chart axes — pure: the top of an axis is a round number (1, 2, 2.5, 5 × 10ⁿ) at or above the data. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((k) => k * p).find((m) => m >= v)!;
}

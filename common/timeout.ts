/** Promises with a deadline: the one place a timer races a promise (and is always cleared). */

/** `p`, or a rejection saying `what` took longer than `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** True if `p` fulfils within `ms`; false if it rejects or is late. */
export function settlesInTime(p: Promise<unknown>, ms: number): Promise<boolean> {
  return withTimeout(p, ms).then(
    () => true,
    () => false,
  );
}

/**
 * One shared one-second tick for every live countdown on screen: components that show time
 * re-render on it, nothing else does (a board of 500 orders redraws its countdowns, not itself).
 */
import { useEffect, useState } from 'preact/hooks';

const subscribers = new Set<(now: number) => void>();
let timer: ReturnType<typeof setTimeout> | undefined;

function tick(): void {
  const now = Date.now();
  for (const s of subscribers) s(now);
  timer = setTimeout(tick, 1000 - (now % 1000) + 5); // on the second, like a wall clock
}

export function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    subscribers.add(setNow);
    if (subscribers.size === 1) tick();
    return () => {
      subscribers.delete(setNow);
      if (subscribers.size === 0) clearTimeout(timer);
    };
  }, []);
  return now;
}

/**
 * A window keydown handler that always sees the component's latest state: one listener for the
 * component's life, calling whatever the last render handed it. (An effect re-registered on
 * every render leaves a moment, after each render, when the previous render's handler answers.)
 */
import { useEffect, useRef } from 'preact/hooks';

export function useKeys(handler: (e: KeyboardEvent) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const on = (e: KeyboardEvent) => latest.current(e);
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, []);
}

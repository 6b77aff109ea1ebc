/**
 * A form's or button's action, one at a time: `busy` while it runs (to disable the controls), and
 * the failure in words (`describe`) until the next action starts. `run` resolves whether it succeeded.
 */
import { useState } from 'preact/hooks';

export function useAction(describe: (err: Error) => string = (err) => err.message) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(describe(err as Error));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

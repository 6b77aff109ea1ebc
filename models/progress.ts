/** A progress bar on stderr for a download, shown from its first chunk and gone when it ends. */
import cliProgress from 'cli-progress';

export type OnProgress = (received: number, total: number | undefined) => void;

/** Runs `download` with a bar labelled `label`; the bar is removed whether it succeeds or not. */
export async function withDownloadProgress<T>(label: string, download: (onProgress: OnProgress) => Promise<T>): Promise<T> {
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {percentage}% {value}/{total} bytes`, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    return await download((received, total) => {
      if (!started) bar.start(total ?? 0, 0);
      started = true;
      if (total !== undefined) bar.setTotal(total);
      bar.update(received);
    });
  } finally {
    if (started) bar.stop();
  }
}

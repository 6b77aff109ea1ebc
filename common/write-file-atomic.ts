import { renameSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * Writes `text` to a temp file beside `file` and renames it over `file`: readers see the old
 * content or the new, never a torn file, and the new file has `mode` even if `file` existed.
 */
export function writeFileAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode, flag: 'wx' });
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file was never created
    }
    throw err;
  }
}

/**
 * The one way a file is replaced: written to a temp file beside it, flushed to disk, renamed over
 * it, and the directory flushed so the rename itself survives a power cut. Readers see the old
 * content or the new, never a torn file; after a crash the file is one or the other.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of the new file, whatever the old one had (default 0o644 less the umask). */
  mode?: number;
  /**
   * Flush the file and its directory before returning (default true). Off only for files whose loss
   * in a power cut costs nothing, where the flush would wear the storage for no gain.
   */
  durable?: boolean;
}

/** A fresh temp name beside `file`: concurrent writers of one file never share a temp. */
export const tempBeside = (file: string): string => `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;

export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const tmp = tempBeside(file);
  try {
    const fh = await open(tmp, 'wx', opts.mode);
    try {
      await fh.writeFile(data);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await commitFile(tmp, file, durable);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The same, blocking: for CLI commands that write one file and exit. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const durable = opts.durable ?? true;
  const tmp = tempBeside(file);
  try {
    const fd = openSync(tmp, 'wx', opts.mode);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    if (durable) {
      const dir = openSync(dirname(file), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw err;
  }
}

/**
 * Renames a complete temp file (already flushed by whoever streamed it) over `file`, then flushes
 * the directory so the rename is on disk too.
 */
export async function commitFile(tmp: string, file: string, durable = true): Promise<void> {
  await rename(tmp, file);
  if (durable) await syncDir(dirname(file));
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

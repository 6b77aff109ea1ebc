import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface FileDigest {
  sha256: string;
  size: number;
}

// Hashing a model costs ~10 ms; remember it per (path, size, mtime) so resolving on every start-up
// or for every camera stays free, while a replaced file is always hashed again.
const memo = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

/** sha256 (hex) and size of a file, streamed so large models never sit in memory twice. */
export async function digestFile(path: string): Promise<FileDigest> {
  const st = await stat(path);
  const hit = memo.get(path);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return { sha256: hit.sha256, size: hit.size };
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  memo.set(path, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return { sha256, size: st.size };
}

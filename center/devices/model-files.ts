/**
 * Detector model files uploaded for over-the-air updates, content-addressed like the evidence:
 * `<dataDir>/models/<sha256>.onnx`. An upload is streamed to a temp file while it is hashed and
 * kept only if its bytes hash to the sha256 it was uploaded as, so a stored file always is what
 * its name says and what the boxes will check it against.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { commitFile } from '../../common/atomic-write.js';
import { StreetWatchError } from '../../common/errors.js';

const SHA256 = /^[0-9a-f]{64}$/;

/** Large enough for any edge detector; an upload beyond it is cut off rather than filling the disk. */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024;

export class ModelFileError extends StreetWatchError {
  constructor(code: 'MODEL_FILE_MISMATCH' | 'MODEL_FILE_TOO_LARGE' | 'MODEL_FILE_EMPTY', message: string) {
    super(code, message);
  }
}

export interface StoredModelFile {
  sha256: string;
  size: number;
  path: string;
}

export class ModelFiles {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'models');
  }

  /** Where the file with this hash lives; anything but a sha256 is refused, so no path tricks. */
  path(sha256: string): string {
    if (!SHA256.test(sha256)) throw new ModelFileError('MODEL_FILE_MISMATCH', `not a lowercase hex sha256: ${JSON.stringify(sha256.slice(0, 80))}`);
    return join(this.root, `${sha256}.onnx`);
  }

  async get(sha256: string): Promise<StoredModelFile | null> {
    const path = this.path(sha256);
    try {
      const s = await stat(path);
      return s.isFile() ? { sha256, size: s.size, path } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Stores the streamed bytes as `sha256`; `created` is false when the file was already there. */
  async put(sha256: string, body: AsyncIterable<Uint8Array>, maxBytes = MAX_MODEL_BYTES): Promise<StoredModelFile & { created: boolean }> {
    const path = this.path(sha256);
    await mkdir(this.root, { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const hash = createHash('sha256');
    let size = 0;
    const fh = await open(tmp, 'wx');
    try {
      try {
        for await (const chunk of body) {
          size += chunk.byteLength;
          if (size > maxBytes) throw new ModelFileError('MODEL_FILE_TOO_LARGE', `model file is larger than ${maxBytes} bytes`);
          hash.update(chunk);
          await fh.write(chunk);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (size === 0) throw new ModelFileError('MODEL_FILE_EMPTY', 'the upload is empty');
      const actual = hash.digest('hex');
      if (actual !== sha256) throw new ModelFileError('MODEL_FILE_MISMATCH', `the uploaded bytes hash to ${actual}, not ${sha256} (${size} bytes received)`);
      const existing = await this.get(sha256);
      // Same name, same bytes: the copy already there is as good.
      if (!existing) await commitFile(tmp, path);
      return { sha256, size, path, created: !existing };
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

/**
 * Evidence photos on disk, content-addressed: `<dataDir>/evidence/<aa>/<sha256>.jpg`, `aa` being
 * the first two hex digits (keeps directories small). The name is the hash of the bytes, so a
 * second copy of a photo (a QoS 1 redelivery, the same frame sent twice) is the same file, and a
 * file can be checked against its name at any time. Large binaries never go to Redis.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import { StreetWatchError } from '../common/errors.js';

const SHA256 = /^[0-9a-f]{64}$/;

export class EvidenceNotFoundError extends StreetWatchError {
  constructor(readonly sha256: string) {
    super('EVIDENCE_NOT_FOUND', `no evidence ${sha256}`);
  }
}

export class InvalidShaError extends StreetWatchError {
  constructor(value: string) {
    super('EVIDENCE_BAD_SHA', `not a lowercase hex sha256: ${JSON.stringify(value.slice(0, 80))}`);
  }
}

export const sha256Hex = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

export class EvidenceStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'evidence');
  }

  /** Where the photo with this hash lives (whether or not it is there). Refuses anything but a sha256, so no path tricks. */
  path(sha: string): string {
    if (!SHA256.test(sha)) throw new InvalidShaError(sha);
    return join(this.root, sha.slice(0, 2), `${sha}.jpg`);
  }

  /** Stores the bytes once; returns their sha256. Safe to call again with the same bytes, also concurrently. */
  async put(buf: Buffer): Promise<string> {
    const sha = sha256Hex(buf);
    const file = this.path(sha);
    if (await this.has(sha)) return sha;
    await mkdir(join(this.root, sha.slice(0, 2)), { recursive: true });
    // Readers never see a half-written photo, two writers of the same bytes both end with the same
    // complete file, and evidence is a legal record: on disk before we say it is stored.
    await writeFileAtomic(file, buf);
    return sha;
  }

  async has(sha: string): Promise<boolean> {
    try {
      return (await stat(this.path(sha))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async read(sha: string): Promise<Buffer> {
    try {
      return await readFile(this.path(sha));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new EvidenceNotFoundError(sha);
      throw err;
    }
  }

  /** True when `buf` hashes to `expectedSha` (case-insensitive on the expected value). */
  verify(buf: Buffer, expectedSha: string): boolean {
    return sha256Hex(buf) === expectedSha.toLowerCase();
  }
}

/** Uploaded model files on disk: kept only when the bytes are what the name says, never half-written. */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.js';
import { ModelFiles } from './model-files.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** The bytes in small chunks, as a request body arrives. */
const stream = (b: Buffer) => Readable.from(Array.from({ length: Math.ceil(b.length / 1000) }, (_, i) => b.subarray(i * 1000, (i + 1) * 1000)));

describe('ModelFiles', () => {
  it('stores a streamed file under its sha256; the same bytes again are the same file', async () => {
    const files = new ModelFiles(tempDir('sw-model-files-'));
    const bytes = randomBytes(10_500);
    const first = await files.put(sha256(bytes), stream(bytes));
    expect(first).toMatchObject({ sha256: sha256(bytes), size: bytes.length, created: true });
    expect(readFileSync(first.path).equals(bytes)).toBe(true);
    const both = await Promise.all([files.put(sha256(bytes), stream(bytes)), files.put(sha256(bytes), stream(bytes))]);
    expect(both.map((r) => r.created)).toEqual([false, false]);
    expect(await files.get(sha256(bytes))).toEqual({ sha256: sha256(bytes), size: bytes.length, path: first.path });
    expect(readdirSync(files.root)).toEqual([`${sha256(bytes)}.onnx`]);
  });

  it('keeps nothing of a file that is not what its name says, too large or empty', async () => {
    const files = new ModelFiles(tempDir('sw-model-files-'));
    const bytes = randomBytes(5000);
    const other = 'f'.repeat(64);
    await expect(files.put(other, stream(bytes))).rejects.toMatchObject({ code: 'MODEL_FILE_MISMATCH', message: `the uploaded bytes hash to ${sha256(bytes)}, not ${other} (5000 bytes received)` });
    await expect(files.put(sha256(bytes), stream(bytes), 4096)).rejects.toMatchObject({ code: 'MODEL_FILE_TOO_LARGE' });
    await expect(files.put(sha256(Buffer.alloc(0)), stream(Buffer.alloc(0)))).rejects.toMatchObject({ code: 'MODEL_FILE_EMPTY' });
    expect(readdirSync(files.root)).toEqual([]);
    expect(await files.get(other)).toBeNull();
    expect(() => files.path('../../etc/passwd')).toThrow(/not a lowercase hex sha256/);
  });
});

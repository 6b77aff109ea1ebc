// One-shot job of the compose demo, run from the edge image: makes sure the demo clip is at
// CLIP_PATH. A copy already there (fetched before, or mounted) is kept if its sha256 is
// CLIP_SHA256; otherwise the clip is downloaded from CLIP_URL into a temp file beside CLIP_PATH,
// hashed as it streams, and renamed into place only if the hash matches, so a partial or wrong
// file never takes the clip's place. Plain JavaScript: the image runs it without a build step.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const { CLIP_PATH: path, CLIP_URL: url, CLIP_SHA256: expected } = process.env;

function fail(message) {
  process.stderr.write(`fetch-clip: ${message}\n`);
  process.exit(1);
}

async function sha256Of(file) {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

if (!path) fail('set CLIP_PATH to where the clip goes');
const present = await stat(path).then(() => true, () => false);
if (present) {
  const sha = expected ? await sha256Of(path) : undefined;
  if (!expected || sha === expected) {
    process.stderr.write(`fetch-clip: ${path} is present\n`);
    process.exit(0);
  }
  process.stderr.write(`fetch-clip: ${path} has sha256 ${sha}, expected ${expected}: fetching it again\n`);
}
if (!url) fail(`${path} is missing and CLIP_URL is not set`);

await mkdir(dirname(path), { recursive: true });
const temp = `${path}.${randomBytes(4).toString('hex')}.part`;
try {
  const response = await fetch(url, { redirect: 'follow' });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const hash = createHash('sha256');
  const tee = new Transform({
    transform(chunk, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(response.body), tee, createWriteStream(temp, { flags: 'wx' }));
  const sha = hash.digest('hex');
  if (expected && sha !== expected) throw new Error(`sha256 ${sha}, expected ${expected}`);
  await rename(temp, path);
} catch (err) {
  await rm(temp, { force: true });
  fail(`download of ${url} failed: ${err.message}`);
}
process.stderr.write(`fetch-clip: ${url} → ${path}\n`);

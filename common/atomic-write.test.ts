import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/fixtures.js';
import { projectRoot } from './paths.js';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

const haveStrace = spawnSync('sh', ['-c', 'command -v strace']).status === 0;

describe.each([
  ['writeFileAtomic', writeFileAtomic],
  ['writeFileAtomicSync', async (...a: Parameters<typeof writeFileAtomicSync>) => writeFileAtomicSync(...a)],
] as const)('%s', (_, write) => {
  it('replaces the content and sets the mode even over a file that had another, leaving no temp file', async () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'old', { mode: 0o644 });
    await write(file, 'new: 1\n', { mode: 0o600 });
    expect(readFileSync(file, 'utf8')).toBe('new: 1\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('fails naming the cause and leaves the old file and no temp file behind', async () => {
    const dir = tempDir();
    const file = join(dir, 'state.json');
    mkdirSync(file); // a directory where the file should go: the rename fails
    await expect(write(file, '{}')).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTDIR|EEXIST|ENOTEMPTY/) });
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(statSync(file).isDirectory()).toBe(true);
  });
});

it('with concurrent writers of one file, ends with one whole content and no temp files', async () => {
  const dir = tempDir();
  const file = join(dir, 'evidence.jpg');
  const contents = Array.from({ length: 20 }, (_, i) => Buffer.alloc(64 * 1024, i));
  await Promise.all(contents.map((c) => writeFileAtomic(file, c)));
  const final = readFileSync(file);
  expect(contents.some((c) => c.equals(final))).toBe(true);
  expect(readdirSync(dir)).toEqual(['evidence.jpg']);
});

/** The system calls a child process makes while it writes `file` with the built helper. */
function tracedWrite(file: string, call: string): string[] {
  const helper = pathToFileURL(join(projectRoot, 'dist', 'common', 'atomic-write.js')).href;
  const log = join(tempDir(), 'trace.txt');
  const script = `const m = await import(${JSON.stringify(helper)}); await m.${call};`;
  const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=openat,fsync,fdatasync,rename,renameat,renameat2,close', process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, FILE: file },
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^\d+\s+/, ''));
}

/** fd → path from openat lines; then the ordered events: `open <path>`, `fsync <path>`, `rename <to>`. */
function events(lines: string[], file: string): string[] {
  const dir = file.slice(0, file.lastIndexOf('/'));
  const byFd = new Map<string, string>();
  const out: string[] = [];
  for (const l of lines) {
    const open = /^openat\(AT_FDCWD, "([^"]+)", .*\) = (\d+)$/.exec(l);
    if (open) {
      byFd.set(open[2], open[1]);
      if (open[1].startsWith(file) || open[1] === dir) out.push(`open ${open[1] === dir ? 'dir' : open[1] === file ? 'file' : 'temp'}`);
      continue;
    }
    const sync = /^f(?:data)?sync\((\d+)\)/.exec(l);
    const path = sync && byFd.get(sync[1]);
    if (path && (path.startsWith(file) || path === dir)) out.push(`fsync ${path === dir ? 'dir' : path === file ? 'file' : 'temp'}`);
    const ren = /^rename(?:at2?)?\(.*"([^"]+)".*"([^"]+)"/.exec(l);
    if (ren && ren[2] === file) out.push(`rename temp → file`);
  }
  return out;
}

describe.skipIf(!haveStrace)(`on disk before it returns${haveStrace ? '' : ' (skipped: needs strace)'}`, () => {
  it('flushes the temp file, renames it, then flushes the directory; durable: false flushes nothing', () => {
    const dir = tempDir();
    const file = join(dir, 'model-state.json');
    expect(events(tracedWrite(file, 'writeFileAtomic(process.env.FILE, "x")'), file)).toEqual(['open temp', 'fsync temp', 'rename temp → file', 'open dir', 'fsync dir']);
    expect(events(tracedWrite(file, 'writeFileAtomicSync(process.env.FILE, "x")'), file)).toEqual(['open temp', 'fsync temp', 'rename temp → file', 'open dir', 'fsync dir']);
    expect(events(tracedWrite(file, 'writeFileAtomic(process.env.FILE, "x", { durable: false })'), file)).toEqual(['open temp', 'rename temp → file']);
  });
});

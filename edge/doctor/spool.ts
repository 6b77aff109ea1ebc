/**
 * Doctor: the spool directory takes writes (created as the agent would create it) and its disk has
 * room for the spool's budget.
 */
import { mkdir, open, readdir, stat, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { EdgeConfig } from '../config.js';
import { classifyDiskSpace, type CheckResult } from './verdicts.js';

export async function checkSpool(spool: EdgeConfig['spool']): Promise<CheckResult> {
  const check = 'spool';
  // A dot name: the spool ignores it, so a running agent is not disturbed.
  const probe = join(spool.dir, `.doctor-probe-${process.pid}`);
  try {
    await mkdir(spool.dir, { recursive: true });
    const file = await open(probe, 'w');
    try {
      await file.write('probe');
      await file.sync();
    } finally {
      await file.close();
      await unlink(probe);
    }
  } catch (err) {
    return { check, status: 'fail', detail: `${spool.dir} is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  const fs = await statfs(spool.dir);
  const verdict = classifyDiskSpace({ freeBytes: fs.bavail * fs.bsize, budgetBytes: spool.maxMegabytes * 1024 * 1024, usedBytes: await bytesIn(spool.dir) });
  return { check, status: verdict.status, detail: `${spool.dir}: ${verdict.detail}` };
}

async function bytesIn(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    // A message acknowledged meanwhile is gone: it counts as nothing.
    if (entry.isFile()) total += (await stat(join(dir, entry.name)).catch(() => null))?.size ?? 0;
  }
  return total;
}

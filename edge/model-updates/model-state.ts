/**
 * Which detector model the box runs, kept on disk so a restart comes back on the model it had
 * switched to: `<spool.dir>/ota/state.json` (the spool folder is the box's persistent data; the
 * spool ignores sub-folders), downloaded models beside it in `ota/models/<sha256>.onnx`.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { modelRef, modelUpdateStatus } from '../../contract/index.js';

const installedModel = modelRef.extend({ path: z.string().min(1) });

const modelStateSchema = z.object({
  /** sha256 of the config's model when this was written: a box whose config names another model starts over from it. */
  configSha256: z.string(),
  active: installedModel,
  /** The last proven model while `active` is on probation; rollback goes back to it. */
  fallback: installedModel.optional(),
  /** Starts of the agent while `active` was on probation: a model that crashes the process is rolled back. */
  probationStarts: z.number().int().min(0),
  /** Highest desired version answered; older and repeated announcements are not acted on again. */
  handled: z.number().int().min(0),
  /** The answer to `handled`, reported again at each start. */
  last: z.object({ status: modelUpdateStatus.exclude(['downloading']), error: z.string().optional() }),
});

export type InstalledModel = z.output<typeof installedModel>;
export type ModelState = z.output<typeof modelStateSchema>;

export const otaDir = (spoolDir: string): string => join(spoolDir, 'ota');
export const otaModelsDir = (dir: string): string => join(dir, 'models');
const stateFile = (dir: string): string => join(dir, 'state.json');

/** The saved state, or undefined when there is none or it is unreadable (the box then starts from its config). */
export async function readModelState(dir: string): Promise<ModelState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return modelStateSchema.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Replaced atomically, so a power cut leaves the old state or the new one. */
export async function writeModelState(dir: string, state: ModelState): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(stateFile(dir), `${JSON.stringify(modelStateSchema.parse(state), null, 2)}\n`);
}

/**
 * Over-the-air model updates. The centre announces a model retained on `<device>/model/desired`;
 * the box downloads it (sha256 and size checked while it streams), loads it in a second session
 * with the running detector's options, self-tests it on a recent camera frame
 * (model-self-test.ts), switches between frames (swappable-detector.ts) and reports on
 * `model/reported`. For its first frames the new model is on probation with the old one still
 * loaded; if it fails, the box switches back and reports `rolled_back`. Which model runs is kept
 * in model-state.ts, so a restart comes back on it.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { formatZodIssues } from '../../common/config-file.js';
import { StreetWatchError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { modelDesiredMessage, parseJsonPayload, toIso, type ModelDesiredMessage, type ModelRef, type ModelReportedMessage, type ModelUpdateStatus } from '../../contract/index.js';
import { SerialQueue } from '../../detector/serial-queue.js';
import type { Detector } from '../../detector/types.js';
import { downloadModel } from '../../models/fetch.js';
import { digestFile } from '../../models/hash.js';
import { loadManifest, type ModelManifest } from '../../models/manifest.js';
import { resolveModel } from '../../models/resolve.js';
import type { EdgeConfig } from '../config.js';
import { loadDetector } from './load-detector.js';
import { otaDir, otaModelsDir, readModelState, writeModelState, type InstalledModel, type ModelState } from './model-state.js';
import { selfTest } from './model-self-test.js';
import { SwappableDetector, type ProbationOutcome, type SwappableOptions } from './swappable-detector.js';

/** Starts of the agent with a model on probation after which that model is given up (it may crash the process). */
export const MAX_PROBATION_STARTS = 3;

export class ModelUpdateError extends StreetWatchError {
  constructor(message: string) {
    super('MODEL_UPDATE', message);
  }
}

/** The running model(s) and their saved state, as loaded at start. */
export interface ActiveModels {
  detector: SwappableDetector;
  state: ModelState;
  /** The config's own model: the last resort, never deleted. */
  base: InstalledModel;
  /** Where state and downloaded models live. */
  dir: string;
  /** Set when the agent restarted while a model was on probation, which then goes on. */
  probation?: Promise<ProbationOutcome>;
}

export interface ModelLoadOptions {
  logger: Logger;
  swappable?: SwappableOptions;
}

const label = (m: ModelRef): string => `${m.name} ${m.version} (sha256 ${m.sha256.slice(0, 12)}…)`;
const refOf = ({ name, version, sha256 }: ModelRef): ModelRef => ({ name, version, sha256 });

/** The model named by the config, as found (path, cache or ../shared). */
async function configModel(cfg: EdgeConfig): Promise<InstalledModel> {
  const { path, manifest } = await resolveModel(cfg.model);
  return { name: manifest.name, version: manifest.version, sha256: (await digestFile(path)).sha256, path };
}

/** Loads a model with the config's detector options, after checking its file is still the one recorded. */
async function loadInstalled(cfg: EdgeConfig, m: InstalledModel): Promise<Detector> {
  const { sha256 } = await digestFile(m.path);
  if (sha256 !== m.sha256) throw new ModelUpdateError(`model file ${m.path} changed on disk: sha256 ${sha256}, expected ${m.sha256}`);
  return loadDetector({ ...cfg, model: { path: m.path, name: m.name } });
}

/**
 * Loads the model the box last switched to, falling back to the previous one and then to the
 * config's own when it cannot be loaded (that is reported as `rolled_back`). A model still on
 * probation at the last stop is loaded with its fallback behind it, and its probation goes on.
 */
export async function loadActiveModels(cfg: EdgeConfig, opts: ModelLoadOptions): Promise<ActiveModels> {
  const dir = otaDir(cfg.spool.dir);
  const base = await configModel(cfg);
  const saved = await readModelState(dir);
  let state: ModelState =
    saved?.configSha256 === base.sha256
      ? saved
      : { configSha256: base.sha256, active: base, probationStarts: 0, handled: saved?.handled ?? 0, last: saved?.last ?? { status: 'applied' } };

  const problems: string[] = [];
  if (state.fallback) {
    state = { ...state, probationStarts: state.probationStarts + 1 };
    if (state.probationStarts > MAX_PROBATION_STARTS) {
      problems.push(`${label(state.active)}: the agent started ${MAX_PROBATION_STARTS} times without it finishing its probation`);
    } else {
      await writeModelState(dir, state); // count this start before loading: loading may be what crashes
    }
  }
  const candidates = [state.active, state.fallback, base].filter((m, i, all): m is InstalledModel => !!m && all.findIndex((o) => o?.sha256 === m.sha256) === i);
  let chosen: { model: InstalledModel; detector: Detector } | undefined;
  for (const model of problems.length ? candidates.slice(1) : candidates) {
    try {
      chosen = { model, detector: await loadInstalled(cfg, model) };
      break;
    } catch (err) {
      if (model.sha256 === base.sha256) throw err; // as without updates: the config's model must load
      problems.push(`${label(model)}: ${(err as Error).message}`);
      opts.logger.error({ model: label(model), err: (err as Error).message }, 'model failed to load; trying the previous one');
    }
  }
  // The config's model is always a candidate and either loads or throws, so one was chosen.
  const { model, detector } = chosen!;
  if (problems.length > 0) {
    state = { ...state, active: model, fallback: undefined, probationStarts: 0, last: { status: 'rolled_back', error: problems.join('; ') } };
    await writeModelState(dir, state);
  }
  let previous: Detector | undefined;
  if (state.fallback) {
    try {
      previous = await loadInstalled(cfg, state.fallback);
    } catch (err) {
      opts.logger.warn({ model: label(state.fallback), err: (err as Error).message }, 'fallback model failed to load; the new model runs without one');
      state = { ...state, fallback: undefined, probationStarts: 0 };
      await writeModelState(dir, state);
    }
  }
  if (!previous) return { detector: new SwappableDetector(detector, opts.swappable), state, base, dir };
  const swappable = new SwappableDetector(previous, opts.swappable);
  return { detector: swappable, state, base, dir, probation: swappable.swap(detector) };
}

export interface ModelUpdaterHooks {
  deviceId: string;
  /** Publishes `model/reported` (retained). */
  report(msg: ModelReportedMessage): void;
  logger: Logger;
}

/** Answers `model/desired`: one update at a time, the newest announcement first. */
export class ModelUpdater {
  private state: ModelState;
  private readonly jobs = new SerialQueue();
  private readonly writes = new SerialQueue();
  private readonly abort = new AbortController();
  private pending: ModelDesiredMessage | undefined;
  private closed = false;

  constructor(
    private readonly cfg: EdgeConfig,
    private readonly models: ActiveModels,
    private readonly hooks: ModelUpdaterHooks,
  ) {
    this.state = models.state;
    if (models.probation) this.watch(models.probation, this.state.active, this.state.handled);
    // Tells the centre what runs now (also after a config change or a rollback at start).
    this.send(this.state.last.status, this.state.handled, this.state.last.error);
  }

  /** Never throws: a bad announcement is reported as rejected and the running model is kept. */
  handle(payload: Buffer): void {
    const json = parseJsonPayload(payload);
    if (!json.ok) {
      this.send('rejected', this.state.handled, `model/desired refused: ${json.reason}`);
      return;
    }
    const parsed = modelDesiredMessage.safeParse(json.value);
    if (!parsed.success) {
      const v = (json.value as { version?: unknown } | null)?.version;
      this.send('rejected', Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : this.state.handled, `model/desired is invalid:\n${formatZodIssues(parsed.error.issues)}`);
      return;
    }
    const msg = parsed.data;
    if (msg.version <= this.state.handled || msg.version <= (this.pending?.version ?? 0)) return; // seen again after a reconnect
    this.pending = msg;
    void this.jobs.run(() => this.next());
  }

  /** Stops a download in progress and waits for the update under way and the state file. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    await this.jobs.drain();
    await this.writes.drain();
  }

  private async next(): Promise<void> {
    const msg = this.pending;
    this.pending = undefined;
    if (msg && !this.closed) await this.apply(msg);
  }

  private async apply({ version, model }: ModelDesiredMessage): Promise<void> {
    const log = this.hooks.logger.child({ modelVersion: version, model: label(model) });
    const { active } = this.state;
    if (model.sha256 === active.sha256) return this.settle(version, 'applied');
    this.send('downloading', version);
    try {
      const manifest = loadManifest(model.name);
      // Zones, thresholds and the tracker speak class names: a model with other classes needs a new config.
      if (manifest.classNames.join('\n') !== this.models.detector.classNames.join('\n')) {
        throw new ModelUpdateError(`model ${model.name} has other classes than the running ${active.name}; change the box's config and restart instead`);
      }
      const t0 = Date.now();
      const path = await this.fetchFile(model, manifest);
      log.info({ path, ms: Date.now() - t0 }, 'model file ready');
      const candidate = await loadDetector({ ...this.cfg, model: { path, name: model.name } });
      let outcome: Promise<ProbationOutcome>;
      try {
        const test = await selfTest(candidate, this.models.detector.active, this.models.detector.referenceFrame());
        log.info(test, 'model passed its self-test');
        if (this.closed) throw new ModelUpdateError('the agent is stopping');
        outcome = this.models.detector.swap(candidate);
      } catch (err) {
        await candidate.close();
        throw err;
      }
      const installed: InstalledModel = { ...refOf(model), path };
      // While a model is on probation the last proven one stays the fallback.
      this.state = { ...this.state, active: installed, fallback: this.state.fallback ?? active, probationStarts: 0 };
      log.info('switched to the new model');
      this.settle(version, 'applied');
      this.watch(outcome, installed, version);
    } catch (err) {
      // Stopped half-way: not an answer; the retained announcement comes again at the next start.
      if (this.closed) return;
      // Signed download links are not for logs.
      const error = (err as Error).message.replaceAll(model.url, model.url.split('?')[0]);
      log.warn({ err: error }, 'model update rejected');
      this.settle(version, 'rejected', error);
      await this.prune();
    }
  }

  /** A local copy (running, fallback, config or an earlier download) or a fresh download. */
  private async fetchFile(model: ModelDesiredMessage['model'], manifest: ModelManifest): Promise<string> {
    const known = [this.state.active, this.state.fallback, this.models.base].find((m) => m?.sha256 === model.sha256);
    if (known) return known.path;
    const dest = join(otaModelsDir(this.models.dir), `${model.sha256}.onnx`);
    if (existsSync(dest) && (await digestFile(dest)).sha256 === model.sha256) return dest;
    // The manifest says how to run the model; which exact file to accept is the announcement's word.
    const announced = { ...manifest, file: basename(dest), files: [{ sha256: model.sha256, size: model.size, url: model.url }] };
    return downloadModel(announced, { cacheDir: this.models.dir, url: model.url, signal: this.abort.signal });
  }

  private watch(outcome: Promise<ProbationOutcome>, installed: InstalledModel, version: number): void {
    void outcome.then(async (o) => {
      if (this.closed) return;
      if (o.result === 'superseded') {
        await this.jobs.run(() => this.prune());
        return;
      }
      if (o.result === 'proven') {
        this.hooks.logger.info({ model: label(installed) }, 'new model proved itself; previous one released');
        this.state = { ...this.state, fallback: undefined, probationStarts: 0 };
        this.persist();
      } else {
        const error = `${label(installed)} failed after the switch, back on ${label(this.state.fallback ?? installed)}: ${o.error.message}`;
        this.hooks.logger.error({ err: error }, 'model rolled back');
        this.state = { ...this.state, active: this.state.fallback ?? this.state.active, fallback: undefined, probationStarts: 0 };
        this.settle(version, 'rolled_back', error);
      }
      await this.jobs.run(() => this.prune());
    });
  }

  private settle(version: number, status: Exclude<ModelUpdateStatus, 'downloading'>, error?: string): void {
    this.state = { ...this.state, handled: Math.max(this.state.handled, version), last: { status, ...(error ? { error } : {}) } };
    this.persist();
    this.send(status, version, error);
  }

  private send(status: ModelUpdateStatus, version: number, error?: string): void {
    this.hooks.report({ v: 1, deviceId: this.hooks.deviceId, version, status, model: refOf(this.state.active), at: toIso(Date.now()), ...(error ? { error } : {}) });
  }

  /** Writes the state as it is when the write runs, so the last write always holds the latest. */
  private persist(): void {
    void this.writes.run(() => writeModelState(this.models.dir, this.state)).catch((err: Error) => this.hooks.logger.error({ err: err.message }, 'model state not saved'));
  }

  /** Deletes downloaded models that are neither running nor the fallback; never throws (a file left over is harmless). */
  private async prune(): Promise<void> {
    const folder = otaModelsDir(this.models.dir);
    const keep = new Set([this.state.active.path, this.state.fallback?.path].filter((p) => p !== undefined).map((p) => resolve(p)));
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names) {
      const file = resolve(folder, name);
      if (!/^[0-9a-f]{64}\.onnx$/.test(name) || keep.has(file)) continue;
      await rm(file, { force: true }).catch((err: Error) => this.hooks.logger.warn({ file, err: err.message }, 'old model file not deleted'));
    }
  }
}

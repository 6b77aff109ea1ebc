/**
 * Remote configuration: the centre publishes a desired (partial) config retained on
 * `<device>/config/desired`; the box validates it against the full schema, applies what can change
 * without a restart, and reports the version applied or why it was rejected.
 */
import { z } from 'zod';
import { configDesiredMessage, parseJsonPayload, toIso, type ConfigReportedMessage } from '../contract/index.js';
import { formatZodIssues } from '../common/config-file.js';
import { StreetWatchError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { checkClassNames, edgeConfigSchema, type EdgeConfig } from './config.js';

/** Parts of the config that apply on the fly; anything else needs a restart and is refused. */
const LIVE_KEYS = new Set(['cameras', 'privacy', 'telemetry', 'exemptPlates']);
const LIVE_CAMERA_KEYS = new Set(['id', 'zones']);

/**
 * `config/desired` around its config. A problem here is reported against the version already
 * applied (the message's own cannot be trusted); one in the config, like one in the merge, against
 * the message's version, so the console sees which of its versions was rejected.
 */
const desiredEnvelope = configDesiredMessage.extend({ config: z.looseObject({}) });

export class RemoteConfigError extends StreetWatchError {
  constructor(message: string) {
    super('REMOTE_CONFIG_INVALID', message);
  }
}

/** Pure: the current config with the desired parts laid over it, validated; throws naming the field. */
export function mergeDesired(current: EdgeConfig, desired: Record<string, unknown>, modelClasses?: readonly string[]): EdgeConfig {
  for (const key of Object.keys(desired)) {
    if (!LIVE_KEYS.has(key)) throw new RemoteConfigError(`${key}: cannot be changed remotely (change the box's config file and restart)`);
  }
  const next: Record<string, unknown> = { ...current, ...desired };
  if (desired.cameras !== undefined) {
    if (!Array.isArray(desired.cameras)) throw new RemoteConfigError('cameras: must be a list');
    next.cameras = current.cameras.map((cam) => ({ ...cam }));
    desired.cameras.forEach((d: unknown, i) => {
      const dc = d as Record<string, unknown>;
      const target = (next.cameras as Record<string, unknown>[]).find((c) => c.id === dc?.id);
      if (!target) throw new RemoteConfigError(`cameras[${i}].id: no camera ${String(dc?.id)} on this box`);
      for (const k of Object.keys(dc)) {
        if (!LIVE_CAMERA_KEYS.has(k)) throw new RemoteConfigError(`cameras[${i}].${k}: cannot be changed remotely`);
      }
      Object.assign(target, dc);
    });
  }
  const parsed = edgeConfigSchema.safeParse(next);
  if (!parsed.success) throw new RemoteConfigError(`invalid config:\n${formatZodIssues(parsed.error.issues)}`);
  if (modelClasses) {
    try {
      checkClassNames(parsed.data, modelClasses);
    } catch (e) {
      throw new RemoteConfigError((e as Error).message);
    }
  }
  // Paths were resolved at start and the live keys contain none, so the parsed values keep them.
  return parsed.data;
}

export interface RemoteConfigHooks {
  deviceId: string;
  /** The loaded model's classes: a zone naming another class could never match. */
  modelClasses?: readonly string[];
  report(msg: ConfigReportedMessage): void;
  apply(next: EdgeConfig): void;
  logger: Logger;
}

/** The parts of the running config the centre may change, as the box reports them. */
export function runningParts(cfg: EdgeConfig): NonNullable<ConfigReportedMessage['running']> {
  return {
    cameras: cfg.cameras.map((c) => ({ id: c.id, zones: c.zones })),
    privacy: { ...cfg.privacy },
    telemetry: { ...cfg.telemetry },
  };
}

export class RemoteConfig {
  private version = 0;

  constructor(
    private current: EdgeConfig,
    private readonly hooks: RemoteConfigHooks,
  ) {}

  get appliedVersion(): number {
    return this.version;
  }

  /** Reports what runs now (at start-up, before any desired config arrives). */
  reportRunning(): void {
    this.report('applied', this.version);
  }

  private report(status: 'applied' | 'rejected', version: number, error?: string): void {
    this.hooks.report({ v: 1, deviceId: this.hooks.deviceId, version, status, at: toIso(Date.now()), ...(error ? { error } : {}), running: runningParts(this.current) });
  }

  /** Never throws: a bad message is reported as rejected and the running config is kept. */
  handle(payload: Buffer): void {
    const report = (status: 'applied' | 'rejected', version: number, error?: string) => this.report(status, version, error);
    const json = parseJsonPayload(payload);
    if (!json.ok) {
      report('rejected', this.version, `config/desired refused: ${json.reason}`);
      return;
    }
    const msg = desiredEnvelope.safeParse(json.value);
    if (!msg.success) {
      report('rejected', this.version, `config/desired is invalid:\n${formatZodIssues(msg.error.issues)}`);
      return;
    }
    const { version, config } = msg.data;
    if (version <= this.version) {
      report('applied', this.version); // a retained copy seen again after a reconnect
      return;
    }
    try {
      const parsed = configDesiredMessage.shape.config.safeParse(config);
      if (!parsed.success) throw new RemoteConfigError(`invalid config:\n${formatZodIssues(parsed.error.issues)}`);
      const next = mergeDesired(this.current, parsed.data, this.hooks.modelClasses);
      this.hooks.apply(next);
      this.current = next;
      this.version = version;
      this.hooks.logger.info({ version }, 'remote config applied');
      report('applied', version);
    } catch (e) {
      this.hooks.logger.warn({ version, err: (e as Error).message }, 'remote config rejected');
      report('rejected', version, (e as Error).message);
    }
  }
}

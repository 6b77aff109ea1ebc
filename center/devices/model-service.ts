/**
 * Over-the-air model updates, centre side: what each box should run is kept in Redis
 * (`<prefix>:models:desired:<deviceId>`, its version per device only growing) and published
 * retained on `<root>/<device>/model/desired`, so the box gets it now or at its next connect. The
 * box's answers arrive on `model/reported` through the ingest (device-state.ts).
 */
import type { RedisClient } from '../../common/redis.js';
import type { MqttClient } from 'mqtt';
import { DELIVERY, topics, type ModelDesiredMessage, type ModelReportedMessage } from '../../contract/index.js';
import type { DeviceStateStore, Received } from '../ingest/device-state.js';
import type { ModelFiles, StoredModelFile } from './model-files.js';
import { appendAudit, auditKey, MAX_AUDIT_LINES, type AuditLine } from '../audit/audit-log.js';
import { ApiError } from '../http/errors.js';

/** How long an announcement waits for the broker's PUBACK before telling the user it did not get through. */
const PUBLISH_TIMEOUT_MS = 5000;

export type AnnouncedModel = ModelDesiredMessage['model'];

export interface DesiredModel {
  version: number;
  issuedAt: string;
  /** User who announced it. */
  by: string;
  model: AnnouncedModel;
}

export interface DeviceModelView {
  /** What the centre last announced to the box, null before the first announcement. */
  desired: DesiredModel | null;
  /** The box's last `model/reported`, as ingested. */
  reported: Received<ModelReportedMessage> | null;
}

export interface ModelService {
  /** Uploaded model files, served to the boxes through signed links. */
  readonly files: ModelFiles;
  get(deviceId: string): Promise<DeviceModelView>;
  /** Stores the box's next desired model (version bumped) and publishes it, retained. */
  announce(deviceId: string, model: AnnouncedModel, by: string): Promise<DesiredModel>;
  /** Stores an uploaded model file (see ModelFiles.put); a new one is audited as `by`'s. */
  upload(sha256: string, body: AsyncIterable<Uint8Array>, by: string): Promise<StoredModelFile & { created: boolean }>;
}

export interface ModelServiceDeps {
  redis: RedisClient;
  prefix: string;
  files: ModelFiles;
  deviceState: DeviceStateStore;
  mqtt: MqttClient;
  root: string;
  now: () => number;
}

// Next version = past both the stored one and the one the box last reported (a box that applied
// a higher version, e.g. before Redis was reset, would ignore ours as old), stored in one step with
// its line in the centre's audit log (KEYS[2]; ARGV[3] the line without the version, ARGV[4] the cap).
const ANNOUNCE_LUA = `
local cur = redis.call('GET', KEYS[1])
local version = tonumber(ARGV[2])
if cur then version = math.max(version, cjson.decode(cur)['version']) end
local doc = cjson.decode(ARGV[1])
doc['version'] = version + 1
local out = cjson.encode(doc)
redis.call('SET', KEYS[1], out)
local line = cjson.decode(ARGV[3])
line['detail']['version'] = version + 1
redis.call('LPUSH', KEYS[2], cjson.encode(line))
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
return out
`;

export function modelService(d: ModelServiceDeps): ModelService {
  const key = (deviceId: string) => `${d.prefix}:models:desired:${deviceId}`;
  // One announcement per device at a time in this process, so that the retained message, which the
  // box sees after a reconnect, is the highest version.
  const tails = new Map<string, Promise<unknown>>();
  const oneAtATime = <T>(deviceId: string, task: () => Promise<T>): Promise<T> => {
    const run = (tails.get(deviceId) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => undefined);
    tails.set(deviceId, tail);
    void tail.then(() => tails.get(deviceId) === tail && tails.delete(deviceId));
    return run;
  };

  const publishRetained = async (deviceId: string, desired: DesiredModel): Promise<void> => {
    const msg: ModelDesiredMessage = { v: 1, version: desired.version, issuedAt: desired.issuedAt, model: desired.model };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError(504, 'BROKER_TIMEOUT', `saved as version ${desired.version}, but the broker did not confirm within ${PUBLISH_TIMEOUT_MS / 1000} s; announce it again`)), PUBLISH_TIMEOUT_MS);
    });
    try {
      await Promise.race([d.mqtt.publishAsync(topics.modelDesired(d.root, deviceId), JSON.stringify(msg), DELIVERY.modelDesired), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    files: d.files,
    async get(deviceId) {
      const [raw, reported] = await Promise.all([d.redis.get(key(deviceId)), d.deviceState.lastModelReported(deviceId)]);
      return { desired: raw ? (JSON.parse(raw) as DesiredModel) : null, reported };
    },
    async upload(sha256, body, by) {
      const stored = await d.files.put(sha256, body);
      if (stored.created) await appendAudit(d.redis, d.prefix, { at: new Date(d.now()).toISOString(), by, action: 'model.uploaded', subject: sha256, detail: { size: stored.size } });
      return stored;
    },
    announce(deviceId, model, by) {
      return oneAtATime(deviceId, async () => {
        const reported = await d.deviceState.lastModelReported(deviceId);
        const draft = { issuedAt: new Date(d.now()).toISOString(), by, model };
        // The script adds the announcement's version to `detail`.
        const line: AuditLine = { at: draft.issuedAt, by, action: 'model.announced', subject: deviceId, detail: { model: { name: model.name, version: model.version, sha256: model.sha256 } } };
        const stored = (await d.redis.eval(ANNOUNCE_LUA, 2, key(deviceId), auditKey(d.prefix), JSON.stringify(draft), reported?.message.version ?? 0, JSON.stringify(line), MAX_AUDIT_LINES)) as string;
        const desired = JSON.parse(stored) as DesiredModel;
        await publishRetained(deviceId, desired);
        return desired;
      });
    },
  };
}

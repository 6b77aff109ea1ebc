/**
 * Acceptance of the licence-plate issue end to end: street-1.jpg looped into a 40-second still video
 * (a fixed camera watching a parked car) and replayed with a no_parking zone over the white car's
 * kerb gives exactly one illegal_parking detection carrying plate 苏ED51712 and its close-up, with the
 * other vehicles' plates blurred; published to a real centre, a second detection of the same plate
 * merges into the open order, and Open311 and the centre's logs never show the full plate.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connectAsync } from 'mqtt';
import sharp from 'sharp';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../common/paths.js';
import { topics, type DetectionMessage } from '../contract/index.js';
import type { PlateReader } from '../detector/plate/types.js';
import type { PixelBox, RgbFrame } from '../detector/types.js';
import { edgeConfigSchema } from '../edge/config.js';
import { loadDetector, loadEdgePlateReader, type TimedDetector } from '../edge/model-updates/load-detector.js';
import { replay } from '../edge/replay.js';
import type { WorkOrder } from '../ticketing/work-order.js';
import { readEvents, violations } from './events.js';
import { PLATES_DIR, tempDir } from './fixtures.js';
import { addDevice } from './helpers/kerb-box.js';
import { freePort, runCli, waitFor, type Cli } from './helpers/processes.js';

const PLATE = '苏ED51712';
const STREET = join(PLATES_DIR, 'street-1.jpg');
/** The white van behind the motorcycle (street-1.jpg pixels); its green plate must not be readable in the photos. */
const VAN: PixelBox = { x1: 150, y1: 270, x2: 450, y2: 480 };
const OPERATOR = 'demo-operator-token-0001';

async function decode(file: string | Buffer): Promise<RgbFrame> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

describe('plates: still street scene → plate on the detection → work order', () => {
  const dir = tempDir('sw-plates-e2e-');
  const config = edgeConfigSchema.parse({
    device: { id: 'pole-0001' },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    detector: { workers: 1 },
    cameras: [{
      id: 'cam-1', source: 'unused', fps: 2,
      zones: [{ id: 'kerb', kind: 'no_parking', polygon: [[0.3, 0.6], [1, 0.6], [1, 1], [0.3, 1]], dwellSeconds: 10, evidenceRepeatSeconds: 20 }],
    }],
  });
  let detector: TimedDetector;
  let reader: PlateReader;
  let detections: Map<string, DetectionMessage[]>;
  let events: string;

  beforeAll(async () => {
    const video = join(dir, 'street-40s.avi');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '2', '-t', '40', '-i', STREET, '-c:v', 'mpeg4', '-q:v', '2', '-pix_fmt', 'yuv420p', video]);
    detector = await loadDetector(config);
    reader = (await loadEdgePlateReader(config))!;
    events = join(dir, 'events.jsonl');
    await replay({ config, detector, plateReader: reader, video, eventsFile: events, evidenceDir: join(dir, 'evidence'), startMs: Date.now() - 60_000 });
    detections = violations(readEvents(events).filter((l) => l.topic.endsWith('/detections')).map((l) => l.payload));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([detector?.close(), reader?.close()]);
  });

  it('gives exactly one illegal_parking detection, carrying the plate from its first message', () => {
    expect(detections.size).toBe(1);
    const [msgs] = [...detections.values()];
    expect(msgs.filter((m) => m.state === 'started')).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ type: 'illegal_parking', zoneId: 'kerb', state: 'started', plate: { text: PLATE, type: 'new_energy' } });
    expect(msgs[0].plate!.confidence).toBeGreaterThanOrEqual(config.plates.minConfidence);
    expect(msgs.every((m) => m.plate?.text === PLATE)).toBe(true);
    // One close-up, sent with the first message and kept in the list after.
    const plates = msgs.at(-1)!.evidence.filter((e) => e.kind === 'plate');
    expect(plates).toHaveLength(1);
    expect(msgs[0].evidence.map((e) => e.evidenceId)).toContain(plates[0].evidenceId);
  });

  it('its close-up shows the plate; the photo shows the offender’s plate and blurs the van’s', async () => {
    const [msgs] = [...detections.values()];
    const photo = (kind: string) => join(dir, 'evidence', `${msgs[0].evidence.find((e) => e.kind === kind)!.evidenceId}.jpg`);
    const closeUp = await decode(photo('plate'));
    expect((await reader.read(closeUp))[0]).toMatchObject({ text: PLATE, valid: true });

    const original = await decode(STREET);
    const full = await decode(photo('full'));
    expect(full.width).toBe(original.width);
    const [offender] = await reader.read(full);
    expect(offender).toMatchObject({ text: PLATE, valid: true });
    // The van's plate can be read (in part) in the original scene, and not at all in the photo.
    const vanText = async (f: RgbFrame) => (await reader.read(f, VAN)).map((r) => r.raw).join(' ');
    expect(await vanText(original)).toMatch(/DDS3/);
    expect(await vanText(full)).not.toMatch(/DS3|DDS/);
  });

  describe('at the centre', () => {
    const prefix = `{swplates-${randomBytes(4).toString('hex')}}`;
    let center: Cli;
    let api: string;
    let mqttPort: number;

    beforeAll(async () => {
      mqttPort = await freePort();
      const httpPort = await freePort();
      center = runCli(['center', '--demo', '--config', join(projectRoot, 'examples', 'center.yaml'), '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data-dir', join(dir, 'data')], {
        STREETWATCH_REDIS_PREFIX: prefix, TEAM_WEBHOOK_URL: 'http://127.0.0.1:9/orders', LOG_LEVEL: 'debug',
      });
      api = `http://127.0.0.1:${httpPort}`;
      await waitFor(async () => (await fetch(`${api}/healthz`).catch(() => null))?.ok, `centre health (${center.output()})`, 30_000);
    }, 60_000);

    afterAll(async () => {
      await center?.stop();
      const redis = new Redis();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    });

    const get = async <T>(path: string, token?: string): Promise<T> => {
      const res = await fetch(`${api}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    };

    it('stores the plate, merges the same plate seen again elsewhere in the frame, and masks it for the public and the logs', async () => {
      const creds = addDevice(prefix);
      const client = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: creds.username, password: creds.password, clientId: 'pole-0001', protocolVersion: 4 });
      try {
        // What the box would have sent: evidence first, then the detection messages, in order.
        for (const line of readEvents(events)) {
          const id = line.topic.split('/').pop()!;
          const payload = line.bytes !== undefined ? readFileSync(join(dir, 'evidence', `${id}.jpg`)) : JSON.stringify(line.payload);
          await client.publishAsync(line.topic, payload, { qos: 1 });
        }
        const [first] = [...detections.values()][0];
        const byPlate = () => get<{ items: WorkOrder[]; earlierOrders: number }>(`/api/orders/by-plate/${encodeURIComponent(PLATE)}`, OPERATOR);
        const opened = await waitFor(async () => ((await byPlate()).items.length === 1 ? (await byPlate()).items[0] : null), 'the order with the plate');
        expect(opened.plate).toMatchObject({ text: PLATE });

        // The same car, re-found after a camera shake: a new event, its box nowhere near the first.
        const at = new Date().toISOString();
        const again: DetectionMessage = {
          ...first, eventId: ulid(), seq: 0, bbox: { x1: 0.01, y1: 0.01, x2: 0.2, y2: 0.2 }, firstSeenAt: at, discoveredAt: at, sentAt: at, evidence: [],
          plate: { text: PLATE, confidence: 0.95, readAt: at },
        };
        await client.publishAsync(topics.detections('streetwatch/v1', 'pole-0001', 'cam-1'), JSON.stringify(again), { qos: 1 });
        const merged = await waitFor(async () => {
          const o = await get<WorkOrder>(`/api/orders/${opened.id}`, OPERATOR);
          return o.eventIds.includes(again.eventId) ? o : null;
        }, 'the second event merged into the order');
        expect(merged.eventIds).toEqual([first.eventId, again.eventId]);
        const all = await byPlate();
        expect(all.items).toHaveLength(1);
        expect(all.earlierOrders).toBe(1);
      } finally {
        await client.endAsync();
      }

      const open311 = await (await fetch(`${api}/open311/v2/requests.json`)).text();
      expect(open311).toContain('苏E·D5***2');
      expect(open311).not.toContain(PLATE);
      expect(center.output()).toMatch(/work order transition/); // the logs did cover the order…
      expect(center.output()).not.toContain(PLATE); // …and never name the plate
      expect(center.output()).not.toContain('D51712');
    }, 60_000);
  });
});

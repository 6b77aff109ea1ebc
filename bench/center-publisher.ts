/**
 * Child process of `bench:center`: the edge boxes. One MQTT client per device (device credentials,
 * QoS 1) publishes synthetic `started` detections at a paced rate, in its own process so that
 * publishing neither steals the centre's event loop nor counts in its CPU time. Each detection's eventId is a ULID of its publish time (ms): the webhook
 * receiver decodes the latency from it.
 *
 * Layout: message j of the run goes to scope j mod SCOPES (device, camera, zone), and within its
 * scope to grid cell ⌊j / SCOPES⌋ of 10×10 disjoint boxes, so no two detections share a scope and
 * overlap: every one becomes its own work order.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import { topics, type DetectionMessage } from '../contract/index.js';

export interface PublisherData {
  mqttUrl: string;
  root: string;
  devices: { deviceId: string; password: string }[];
  cameras: number;
  zones: number;
}

export type PublisherCommand = { cmd: 'init'; data: PublisherData } | { cmd: 'run'; rate: number; durationMs: number } | { cmd: 'close' };

export type PublisherReply =
  | { type: 'ready' }
  | { type: 'done'; sent: number; acked: number; failed: number; firstAt: number; lastAt: number }
  | { type: 'closed' }
  | { type: 'error'; message: string };

const GRID = 10;
/** Longest a run may overrun its duration (a stalled client) before it stops short. */
const OVERRUN_MS = 2000;
/** How long `done` waits for outstanding PUBACKs. */
const ACK_WAIT_MS = 1000;

const post = (m: PublisherReply): void => {
  process.send!(m);
};
// Credentials come over IPC, not argv: other users of the box can read command lines.
const data = await new Promise<PublisherData>((resolve) => {
  const onInit = (cmd: PublisherCommand) => {
    if (cmd.cmd !== 'init') return;
    process.off('message', onInit);
    resolve(cmd.data);
  };
  process.on('message', onInit);
});
const scopes = data.devices.length * data.cameras * data.zones;
const maxMessages = scopes * GRID * GRID;
let next = 0;
let acked = 0;
let failed = 0;

function detection(j: number, now: number): { topic: string; payload: string } {
  const scope = j % scopes;
  const dev = data.devices[scope % data.devices.length].deviceId;
  const cameraId = `cam-${Math.floor(scope / data.devices.length) % data.cameras}`;
  const zoneId = `z-${Math.floor(scope / (data.devices.length * data.cameras))}`;
  const cell = Math.floor(j / scopes);
  const x = (cell % GRID) / GRID;
  const y = Math.floor(cell / GRID) / GRID;
  const iso = new Date(now).toISOString();
  const m: DetectionMessage = {
    v: 1, eventId: ulid(now), seq: 0, deviceId: dev, cameraId, zoneId, type: 'illegal_parking', state: 'started',
    label: 'car', confidence: 0.9, bbox: { x1: x, y1: y, x2: x + 0.08, y2: y + 0.08 },
    firstSeenAt: new Date(now - 60_000).toISOString(), discoveredAt: iso, sentAt: iso, evidence: [],
  };
  return { topic: topics.detections(data.root, dev, cameraId), payload: JSON.stringify(m) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(clients: MqttClient[], rate: number, durationMs: number): Promise<void> {
  const total = Math.min(Math.round((rate * durationMs) / 1000), maxMessages - next);
  const ackedBefore = acked;
  const failedBefore = failed;
  let sent = 0;
  let firstAt = 0;
  let lastAt = 0;
  const start = performance.now();
  while (sent < total && performance.now() - start < durationMs + OVERRUN_MS) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    while (sent < due) {
      const j = next++;
      const now = Date.now();
      const { topic, payload } = detection(j, now);
      clients[(j % scopes) % clients.length].publish(topic, payload, { qos: 1 }, (err) => (err ? failed++ : acked++));
      if (sent++ === 0) firstAt = now;
      lastAt = now;
    }
    await sleep(1);
  }
  const until = performance.now() + ACK_WAIT_MS;
  while (acked + failed - ackedBefore - failedBefore < sent && performance.now() < until) await sleep(5);
  post({ type: 'done', sent, acked: acked - ackedBefore, failed: failed - failedBefore, firstAt, lastAt });
}

try {
  const clients = await Promise.all(data.devices.map((d) => connectAsync(data.mqttUrl, {
    username: d.deviceId, password: d.password, clientId: `${d.deviceId}-bench`, protocolVersion: 4, clean: true, reconnectPeriod: 0,
  })));
  for (const c of clients) c.on('error', (err) => post({ type: 'error', message: err.message }));
  let busy = Promise.resolve();
  process.on('message', (cmd: PublisherCommand) => {
    busy = busy.then(async () => {
      if (cmd.cmd === 'run') return run(clients, cmd.rate, cmd.durationMs);
      if (cmd.cmd !== 'close') return;
      await Promise.all(clients.map((c) => c.endAsync()));
      post({ type: 'closed' });
      process.disconnect();
    }).catch((err: Error) => post({ type: 'error', message: err.message }));
  });
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'error', message: (err as Error).message });
}

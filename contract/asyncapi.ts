/** Builds the AsyncAPI 3 document from the payload schemas, so the published contract cannot drift. */
import { z } from 'zod';
import YAML from 'yaml';
import { MAX_CLOCK_AHEAD_MS } from './fields.js';
import * as m from './messages.js';
import { MAX_JSON_BYTES, MAX_JSON_DEPTH } from './payload.js';
import { teamOrderMessage } from './team-orders.js';
import { DEFAULT_ROOT } from './topics.js';

/** Named schemas (those with a meta id) land in components.schemas; payloads refer to them. */
const componentSchemas: Record<string, unknown> = {};

function schema(s: z.ZodType): unknown {
  const json = z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any', io: 'output' }) as Record<string, unknown>;
  const text = JSON.stringify(json).replaceAll('"#/$defs/', '"#/components/schemas/');
  const { $defs, $schema: _drop, ...rest } = JSON.parse(text) as Record<string, unknown> & { $defs?: Record<string, unknown> };
  Object.assign(componentSchemas, $defs ?? {});
  return rest;
}

interface ChannelSpec {
  address: string;
  params: string[];
  message: string;
  title: string;
  payload: unknown;
  contentType: string;
  /** Who publishes on it: the box (send) or the centre. */
  from: 'edge' | 'centre';
  description: string;
}

const idParam = (what: string) => ({ description: `${what} id (A-Z a-z 0-9 _ . -)` });

const channels: Record<string, ChannelSpec> = {
  status: {
    address: '{root}/{deviceId}/status', params: ['deviceId'], message: 'Status', title: 'Device status',
    payload: schema(m.statusMessage), contentType: 'application/json', from: 'edge',
    description: 'Retained. `online` on connect, `offline` by Last Will or clean shutdown.',
  },
  telemetry: {
    address: '{root}/{deviceId}/telemetry', params: ['deviceId'], message: 'Telemetry', title: 'Telemetry',
    payload: schema(m.telemetryMessage), contentType: 'application/json', from: 'edge',
    description: 'QoS 0, every telemetry.intervalSeconds; dropped first when the spool is full.',
  },
  detections: {
    address: '{root}/{deviceId}/{cameraId}/detections', params: ['deviceId', 'cameraId'], message: 'Detection',
    title: 'Detection lifecycle', payload: schema(m.detectionMessage), contentType: 'application/json', from: 'edge',
    description: 'QoS 1. `started` once (discovery), `updated` at most every updateSeconds, `ended` with a reason.',
  },
  evidence: {
    address: '{root}/{deviceId}/{cameraId}/evidence/{evidenceId}', params: ['deviceId', 'cameraId', 'evidenceId'],
    message: 'EvidencePhoto', title: 'Evidence photo', contentType: m.EVIDENCE_CONTENT_TYPE, from: 'edge',
    payload: { type: 'string', format: 'binary', maxLength: m.MAX_EVIDENCE_BYTES, description: 'Raw JPEG; its sha256 and size are listed in the detection that references it.' },
    description: 'QoS 1. Published before the detection message that lists it. People are blurred.',
  },
  sensors: {
    address: '{root}/{deviceId}/sensors/{sensorId}', params: ['deviceId', 'sensorId'], message: 'SensorReading',
    title: 'Street sensor reading', payload: schema(m.sensorMessage), contentType: 'application/json', from: 'edge',
    description: 'QoS 1. Readings of sensors mounted near the box, republished.',
  },
  configDesired: {
    address: '{root}/{deviceId}/config/desired', params: ['deviceId'], message: 'ConfigDesired', title: 'Desired config',
    payload: schema(m.configDesiredMessage), contentType: 'application/json', from: 'centre',
    description: 'Retained, published by the centre; the box subscribes.',
  },
  teamOrders: {
    address: '{root}/teams/{team}/orders', params: ['team'], message: 'TeamOrder', title: 'Team work orders',
    payload: schema(teamOrderMessage), contentType: 'application/json', from: 'centre',
    description: 'QoS 1, published by the centre for officers\' apps; the same notices go to the team webhook.',
  },
  configReported: {
    address: '{root}/{deviceId}/config/reported', params: ['deviceId'], message: 'ConfigReported', title: 'Reported config',
    payload: schema(m.configReportedMessage), contentType: 'application/json', from: 'edge',
    description: 'Retained. The version the box applied, or why it rejected one.',
  },
  modelDesired: {
    address: '{root}/{deviceId}/model/desired', params: ['deviceId'], message: 'ModelDesired', title: 'Desired model',
    payload: schema(m.modelDesiredMessage), contentType: 'application/json', from: 'centre',
    description: 'Retained, published by the centre; the box downloads, verifies and self-tests the model before switching to it.',
  },
  modelReported: {
    address: '{root}/{deviceId}/model/reported', params: ['deviceId'], message: 'ModelReported', title: 'Reported model',
    payload: schema(m.modelReportedMessage), contentType: 'application/json', from: 'edge',
    description: 'Retained. The model the box runs, and the outcome of the last desired version (sent at start-up too).',
  },
};

export function buildAsyncApi(): Record<string, unknown> {
  const ch: Record<string, unknown> = {};
  const ops: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(channels)) {
    ch[name] = {
      address: c.address,
      title: c.title,
      description: c.description,
      parameters: Object.fromEntries([['root', { description: `Topic root, default ${DEFAULT_ROOT}`, default: DEFAULT_ROOT }], ...c.params.map((p) => [p, idParam(p.replace(/Id$/, ''))])]),
      messages: { [c.message]: { $ref: `#/components/messages/${c.message}` } },
    };
    messages[c.message] = { name: c.message, title: c.title, contentType: c.contentType, payload: c.payload };
    ops[`${c.from === 'edge' ? 'publish' : 'publishCentre'}_${name}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${name}` },
      summary: `${c.from === 'edge' ? 'The edge box' : 'The centre'} publishes ${c.title.toLowerCase()}.`,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'StreetWatch MQTT contract',
      version: `${m.CONTRACT_VERSION}.0.0`,
      description:
        'Messages between StreetWatch edge boxes and the command centre. Generated from contract/messages.ts by `npm run contract:asyncapi`; do not edit by hand. ' +
        `Every JSON message is at most ${MAX_JSON_BYTES} bytes and nested at most ${MAX_JSON_DEPTH} levels deep; ` +
        `the centre refuses a box's message with an instant more than ${MAX_CLOCK_AHEAD_MS / 60_000} minutes ahead of its clock.`,
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/json',
    servers: { broker: { host: '127.0.0.1:1883', protocol: 'mqtt', description: 'MQTT 3.1.1 or 5 broker (embedded aedes, Mosquitto, EMQX)' } },
    channels: ch,
    operations: ops,
    components: { schemas: componentSchemas, messages },
  };
}

export const renderAsyncApi = (): string =>
  `# Generated from contract/messages.ts by \`npm run contract:asyncapi\`. Do not edit.\n${YAML.stringify(buildAsyncApi(), { aliasDuplicateObjects: false, lineWidth: 0 })}`;

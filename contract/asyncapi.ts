/**
 * Builds the AsyncAPI 3 document from the payload schemas and from the topic layout and delivery
 * table (contract/topics.ts) the publishers use, so the published contract cannot drift.
 */
import { z } from 'zod';
import YAML from 'yaml';
import { MAX_CLOCK_AHEAD_MS } from './fields.js';
import * as m from './messages.js';
import { MAX_JSON_BYTES, MAX_JSON_DEPTH } from './payload.js';
import { teamOrderMessage } from './team-orders.js';
import { DEFAULT_CENTER_USERNAME, DEFAULT_ROOT, DELIVERY, EDGE_CLEAN_SESSION, edgeClientId, topics } from './topics.js';

/** Named schemas (those with a meta id) land in components.schemas; payloads refer to them. */
const componentSchemas: Record<string, unknown> = {};

function schema(s: z.ZodType): unknown {
  const json = z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any', io: 'output' }) as Record<string, unknown>;
  const text = JSON.stringify(json).replaceAll('"#/$defs/', '"#/components/schemas/');
  const { $defs, $schema: _drop, ...rest } = JSON.parse(text) as Record<string, unknown> & { $defs?: Record<string, unknown> };
  Object.assign(componentSchemas, $defs ?? {});
  return rest;
}

/** The MQTT bindings' version (AsyncAPI bindings/mqtt) these objects follow. */
const MQTT_BINDING_VERSION = '0.2.0';

interface ChannelSpec {
  /** Its builder in contract/topics.ts: the address and the delivery (DELIVERY) come from there. */
  topic: keyof typeof topics;
  /** The builder's ids after the root, in its order. */
  params: string[];
  message: string;
  title: string;
  payload: unknown;
  contentType: string;
  /** Who publishes on it: the box (send) or the centre. */
  from: 'edge' | 'center';
  description: string;
}

const idParam = (what: string) => ({ description: `${what} id (A-Z a-z 0-9 _ . -)` });

const channels: Record<string, ChannelSpec> = {
  status: {
    topic: 'status', params: ['deviceId'], message: 'Status', title: 'Device status',
    payload: schema(m.statusMessage), contentType: 'application/json', from: 'edge',
    description: '`online` on connect, `offline` by Last Will or clean shutdown.',
  },
  telemetry: {
    topic: 'telemetry', params: ['deviceId'], message: 'Telemetry', title: 'Telemetry',
    payload: schema(m.telemetryMessage), contentType: 'application/json', from: 'edge',
    description: 'Every telemetry.intervalSeconds; dropped first when the spool is full.',
  },
  detections: {
    topic: 'detections', params: ['deviceId', 'cameraId'], message: 'Detection',
    title: 'Detection lifecycle', payload: schema(m.detectionMessage), contentType: 'application/json', from: 'edge',
    description: '`started` once (discovery), `updated` at most every updateSeconds, `ended` with a reason.',
  },
  evidence: {
    topic: 'evidence', params: ['deviceId', 'cameraId', 'evidenceId'],
    message: 'EvidencePhoto', title: 'Evidence photo', contentType: m.EVIDENCE_CONTENT_TYPE, from: 'edge',
    payload: { type: 'string', format: 'binary', maxLength: m.MAX_EVIDENCE_BYTES, description: 'Raw JPEG; its sha256 and size are listed in the detection that references it.' },
    description: 'Published before the detection message that lists it. People are blurred.',
  },
  sensors: {
    topic: 'sensor', params: ['deviceId', 'sensorId'], message: 'SensorReading',
    title: 'Street sensor reading', payload: schema(m.sensorMessage), contentType: 'application/json', from: 'edge',
    description: 'Readings of sensors mounted near the box, republished.',
  },
  configDesired: {
    topic: 'configDesired', params: ['deviceId'], message: 'ConfigDesired', title: 'Desired config',
    payload: schema(m.configDesiredMessage), contentType: 'application/json', from: 'center',
    description: 'Published by the centre; the box subscribes.',
  },
  teamOrders: {
    topic: 'teamOrders', params: ['team'], message: 'TeamOrder', title: 'Team work orders',
    payload: schema(teamOrderMessage), contentType: 'application/json', from: 'center',
    description: 'Published by the centre for officers\' apps; the same notices go to the team webhook.',
  },
  configReported: {
    topic: 'configReported', params: ['deviceId'], message: 'ConfigReported', title: 'Reported config',
    payload: schema(m.configReportedMessage), contentType: 'application/json', from: 'edge',
    description: 'The version the box applied, or why it rejected one.',
  },
  modelDesired: {
    topic: 'modelDesired', params: ['deviceId'], message: 'ModelDesired', title: 'Desired model',
    payload: schema(m.modelDesiredMessage), contentType: 'application/json', from: 'center',
    description: 'Published by the centre; the box downloads, verifies and self-tests the model before switching to it.',
  },
  modelReported: {
    topic: 'modelReported', params: ['deviceId'], message: 'ModelReported', title: 'Reported model',
    payload: schema(m.modelReportedMessage), contentType: 'application/json', from: 'edge',
    description: 'The model the box runs, and the outcome of the last desired version (sent at start-up too).',
  },
};

/** The address with `{name}` for each id, built by the topic's own builder. */
const addressOf = (c: ChannelSpec): string =>
  (topics[c.topic] as (root: string, ...ids: string[]) => string)('{root}', ...c.params.map((p) => `{${p}}`));

/**
 * How a box connects (edge/mqtt-link.ts); the centre's own connections differ. Its Last Will is its
 * status topic's `offline`, delivered like every status.
 */
const boxConnection = {
  mqtt: {
    clientId: edgeClientId('{deviceId}'),
    cleanSession: EDGE_CLEAN_SESSION,
    lastWill: {
      topic: topics.status('{root}', '{deviceId}'),
      qos: DELIVERY.status.qos,
      message: 'The box\'s Status with state `offline` and reason `last_will`, stamped when it (re)connected.',
      retain: DELIVERY.status.retain,
    },
    bindingVersion: MQTT_BINDING_VERSION,
  },
};

const security = [{ $ref: '#/components/securitySchemes/deviceLogin' }];

export function buildAsyncApi(): Record<string, unknown> {
  const ch: Record<string, unknown> = {};
  const ops: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(channels)) {
    const { qos, retain } = DELIVERY[c.topic];
    ch[name] = {
      address: addressOf(c),
      title: c.title,
      description: `QoS ${qos}, ${retain ? 'retained' : 'not retained'}. ${c.description}`,
      parameters: Object.fromEntries([['root', { description: `Topic root, default ${DEFAULT_ROOT}`, default: DEFAULT_ROOT }], ...c.params.map((p) => [p, idParam(p.replace(/Id$/, ''))])]),
      messages: { [c.message]: { $ref: `#/components/messages/${c.message}` } },
    };
    messages[c.message] = { name: c.message, title: c.title, contentType: c.contentType, payload: c.payload };
    ops[`${c.from === 'edge' ? 'publish' : 'publishCenter'}_${name}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${name}` },
      summary: `${c.from === 'edge' ? 'The edge box' : 'The centre'} publishes ${c.title.toLowerCase()}.`,
      bindings: { mqtt: { qos, retain, bindingVersion: MQTT_BINDING_VERSION } },
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
    servers: {
      broker: {
        host: '127.0.0.1:1883', protocol: 'mqtt', security, bindings: boxConnection,
        description: 'MQTT 3.1.1 or 5 broker (embedded aedes, Mosquitto, EMQX). The bindings describe a box\'s connection.',
      },
      brokerTls: {
        host: '127.0.0.1:8883', protocol: 'secure-mqtt', security, bindings: boxConnection,
        description: 'The same broker over TLS, when the centre runs mqtts (`mqtt.tls`): the box checks the centre\'s certificate against the one in its bundle, and its password travels encrypted.',
      },
    },
    channels: ch,
    operations: ops,
    components: {
      schemas: componentSchemas,
      messages,
      securitySchemes: {
        deviceLogin: {
          type: 'userPassword',
          description:
            'A box logs in with its device id as user name and the password `streetwatch device add <id>` printed once (or wrote into its `--bundle`); ' +
            `the broker keeps it to its own topics (ACL) and refuses it once revoked. The centre has its own account (\`mqtt.username\`, default \`${DEFAULT_CENTER_USERNAME}\`).`,
        },
      },
    },
  };
}

export const renderAsyncApi = (): string =>
  `# Generated from contract/messages.ts by \`npm run contract:asyncapi\`. Do not edit.\n${YAML.stringify(buildAsyncApi(), { aliasDuplicateObjects: false, lineWidth: 0 })}`;

/**
 * `streetwatch edge init <bundle>`: turns the centre's provisioning bundle into the box's edge
 * config (YAML, mode 0600: it holds the broker password) and, for a TLS broker, the certificate
 * to trust in a PEM file beside it. Everything else keeps the schema's defaults.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import YAML from 'yaml';
import { loadConfigFile, parseWithSchema } from '../common/config-file.js';
import { StreetWatchError } from '../common/errors.js';
import { writeFileAtomicSync } from '../common/atomic-write.js';
import { edgeBundleSchema, type EdgeBundle } from '../contract/bundle.js';
import { edgeConfigSchema } from './config.js';
import { isNetworkSource } from './adapters/video-source.js';

/**
 * The camera source written when none is given: `.invalid` never resolves (RFC 2606), so the box
 * cannot mistake it for a camera, and `edge doctor` names it.
 */
export const PLACEHOLDER_CAMERA_SOURCE = 'rtsp://camera.invalid/CHANGE-ME';

export interface EdgeInitOptions {
  bundleFile: string;
  configFile: string;
  /** The first camera's stream URL or video file; default the placeholder. */
  cameraSource?: string;
  /** Overwrite an existing config and CA file. */
  force?: boolean;
}

export interface EdgeInitResult {
  deviceId: string;
  configFile: string;
  caFile?: string;
  /** True when the camera source is still the placeholder. */
  placeholderCamera: boolean;
}

/** Reads and checks a bundle (JSON or YAML). An empty environment: a bundle is data from the centre, not the box's. */
export function readBundleFile(file: string): EdgeBundle {
  return loadConfigFile(edgeBundleSchema, file, {});
}

export function initEdgeConfig(o: EdgeInitOptions): EdgeInitResult {
  const bundle = readBundleFile(resolve(o.bundleFile));
  const configFile = resolve(o.configFile);
  const caFile = bundle.mqtt.caPem ? join(dirname(configFile), `${basename(configFile, extname(configFile))}-broker-ca.pem`) : undefined;
  for (const file of [configFile, caFile]) {
    if (file && existsSync(file) && !o.force) throw new StreetWatchError('EDGE_INIT_EXISTS', `${file} already exists; pass --force to overwrite it`);
  }
  // A file named on the command line is relative to where the command runs; the config's own paths are relative to the config.
  const cameraSource = o.cameraSource === undefined ? PLACEHOLDER_CAMERA_SOURCE : isNetworkSource(o.cameraSource) ? o.cameraSource : resolve(o.cameraSource);
  const placeholderCamera = cameraSource === PLACEHOLDER_CAMERA_SOURCE;
  const config = {
    device: { id: bundle.deviceId, ...(bundle.timezone ? { timezone: bundle.timezone } : {}) },
    ...(bundle.centerUrl ? { center: { url: bundle.centerUrl } } : {}),
    mqtt: {
      url: bundle.mqtt.url,
      username: bundle.mqtt.username,
      password: bundle.mqtt.password,
      rootTopic: bundle.mqtt.rootTopic,
      ...(caFile ? { caFile: `./${basename(caFile)}` } : {}),
    },
    cameras: [{ id: 'cam-1', source: cameraSource, zones: [] }],
  };
  parseWithSchema(edgeConfigSchema, config, `edge config made from ${o.bundleFile}`);

  const doc = new YAML.Document(config);
  doc.commentBefore = [
    ` StreetWatch edge config of ${bundle.deviceId}, written by \`streetwatch edge init\` from ${basename(o.bundleFile)}.`,
    ' It holds the broker password: keep it private (mode 0600). Settings not given here take their',
    ' defaults (docs/configuration.md, "Edge config"). Check the box with `streetwatch edge doctor --config <this file>`.',
  ].join('\n');
  const cameras = doc.get('cameras', true) as YAML.YAMLSeq;
  cameras.commentBefore = placeholderCamera
    ? ' TODO: set source to the camera stream (rtsp://user:pass@host/stream) or a video file, then fps and zones.'
    : ' TODO: set fps (default 2) and add the zones.';
  if (caFile) writeFileAtomicSync(caFile, bundle.mqtt.caPem!, { mode: 0o644 });
  writeFileAtomicSync(configFile, doc.toString(), { mode: 0o600 });
  return { deviceId: bundle.deviceId, configFile, caFile, placeholderCamera };
}

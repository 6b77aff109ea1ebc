/** The box the end-to-end tests run against a real centre: registered with the real CLI, watching the clip's kerb. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { CLI } from './processes.js';

export interface DeviceCredentials {
  username: string;
  password: string;
}

/** `streetwatch device add <id> --json` under the test's Redis prefix. */
export function addDevice(prefix: string, deviceId = 'pole-0001'): DeviceCredentials {
  return JSON.parse(execFileSync('node', [CLI, 'device', 'add', deviceId, '--json', '--prefix', prefix], { encoding: 'utf8' })) as DeviceCredentials;
}

/** The yellow-lined kerb at the top right of vtest.avi, where the van and the car stand. */
export const KERB_POLYGON = [[0.8, 0.04], [1, 0.04], [1, 0.22], [0.8, 0.22]];

/** Writes `<dir>/edge.yaml`: pole-0001 with one camera on `clip` and the kerb as a no_parking zone. */
export function writeKerbEdgeConfig(dir: string, o: { mqttPort: number; creds: DeviceCredentials; clip: string; dwellSeconds: number; evidenceRepeatSeconds: number; telemetrySeconds?: number }): string {
  const file = join(dir, 'edge.yaml');
  writeFileSync(file, YAML.stringify({
    device: { id: 'pole-0001' },
    mqtt: { url: `mqtt://127.0.0.1:${o.mqttPort}`, username: o.creds.username, password: o.creds.password },
    detector: { threads: 1 },
    spool: { dir: join(dir, 'spool') },
    ...(o.telemetrySeconds ? { telemetry: { intervalSeconds: o.telemetrySeconds } } : {}),
    cameras: [{ id: 'cam-1', source: o.clip, fps: 5, zones: [{ id: 'kerb', kind: 'no_parking', polygon: KERB_POLYGON, dwellSeconds: o.dwellSeconds, evidenceRepeatSeconds: o.evidenceRepeatSeconds }] }],
  }));
  return file;
}

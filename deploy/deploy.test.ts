/**
 * The systemd install, outside a real system: install-edge.sh runs into a temp root
 * (--root, no user, no systemctl, no npm ci) and the files it lays down are checked, the unit with
 * `systemd-analyze verify` where that exists, the config template with the real config loader.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EX_CONFIG } from '../common/config-file.js';
import { projectRoot } from '../common/paths.js';
import { loadEdgeConfig } from '../edge/config.js';
import { tempDir } from '../test/fixtures.js';

const here = join(projectRoot, 'deploy');
const UNIT = 'streetwatch-edge.service';
const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const node = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim();

function install(root: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(join(here, 'install-edge.sh'), ['--root', root, '--no-useradd', '--no-systemctl', '--skip-deps', ...args], { timeout: 60_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => done({ code, out }));
  });
}

/** `[Section] Key=value` lines of a unit file; repeated keys keep every value. */
function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) section = s[1];
    else {
      const i = line.indexOf('=');
      const key = `${section}.${line.slice(0, i)}`;
      keys.set(key, [...(keys.get(key) ?? []), line.slice(i + 1)]);
    }
  }
  return keys;
}
const unit = unitKeys(readFileSync(join(here, 'systemd', UNIT), 'utf8'));
const one = (key: string) => unit.get(key)?.at(-1);
/** KEY=value lines of an EnvironmentFile. */
const envFile = (text: string): Record<string, string> =>
  Object.fromEntries(text.split('\n').filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

it.skipIf(!onPath('shellcheck'))(`install-edge.sh is shellcheck-clean${onPath('shellcheck') ? '' : ' (skipped: shellcheck is not installed)'}`, () => {
  const r = spawnSync('shellcheck', [join(here, 'install-edge.sh')], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});

describe('streetwatch-edge.service', () => {
  it('runs the agent as streetwatch, restarts it on failure and on a missed watchdog, never giving up', () => {
    expect(one('Service.Type')).toBe('notify');
    expect(one('Service.NotifyAccess')).toBe('all'); // the notifications come from a systemd-notify child
    expect(one('Service.User')).toBe('streetwatch');
    expect(one('Service.Restart')).toBe('on-failure');
    expect(one('Service.RestartSec')).toMatch(/^\d+s$/);
    expect(one('Service.WatchdogSec')).toMatch(/^\d+s$/);
    expect(one('Unit.StartLimitIntervalSec')).toBe('0');
    // …but not into the same config error: the CLI exits EX_CONFIG for an invalid config (cli/config-errors.test.ts).
    expect(one('Service.RestartPreventExitStatus')).toBe(String(EX_CONFIG));
    expect(one('Service.ExecStart')).toBe('/usr/bin/node /opt/streetwatch/dist/cli/main.js edge run --config /etc/streetwatch/edge.yaml');
    expect(one('Service.ExecStartPre')).toMatch(/^\/usr\/bin\/node \/opt\/streetwatch\/dist\/cli\/main\.js models fetch yolox_nano y5fu_640x_sim$/);
    expect(one('Install.WantedBy')).toBe('multi-user.target');
  });

  it('can write only its state (spool) and cache (models), and logs to the journal', () => {
    expect(one('Service.ProtectSystem')).toBe('strict');
    expect(one('Service.ReadWritePaths')).toBe('/var/lib/streetwatch /var/cache/streetwatch');
    expect(one('Service.StateDirectory')).toBe('streetwatch');
    expect(one('Service.CacheDirectory')).toBe('streetwatch');
    expect(unit.get('Service.Environment')?.join(' ')).toContain('STREETWATCH_CACHE=/var/cache/streetwatch');
    expect(unit.has('Service.MemoryDenyWriteExecute')).toBe(false); // V8's JIT
    expect(unit.has('Service.StandardOutput') || unit.has('Service.StandardError')).toBe(false); // journal, the default
    expect(one('Service.EnvironmentFile')).toBe('-/etc/streetwatch/edge.env');
    expect(readFileSync(join(here, 'journald', '50-streetwatch.conf'), 'utf8')).toMatch(/^SystemMaxUse=\d+M$/m);
  });
});

describe('install-edge.sh', () => {
  it('installs the app, the unit (for this node), the journald cap, the config and its env file into --root', async () => {
    const root = tempDir('sw-install-');
    const r = await install(root);
    expect(r.code, r.out).toBe(0);
    for (const f of ['package.json', 'package-lock.json', '.npmrc', 'dist/cli/main.js', 'dist/detector/detector-worker.js', 'models/manifests/yolox_nano.json']) {
      expect(existsSync(join(root, 'opt/streetwatch', f)), f).toBe(true);
    }
    const wrapper = join(root, 'usr/local/bin/streetwatch');
    accessSync(wrapper, constants.X_OK);
    expect(readFileSync(wrapper, 'utf8')).toBe(`#!/bin/sh\nexec ${node} /opt/streetwatch/dist/cli/main.js "$@"\n`);
    const installed = readFileSync(join(root, 'etc/systemd/system', UNIT), 'utf8');
    expect(installed).toBe(readFileSync(join(here, 'systemd', UNIT), 'utf8').replaceAll('/usr/bin/node ', `${node} `));
    expect(readFileSync(join(root, 'etc/systemd/journald.conf.d/50-streetwatch.conf'), 'utf8')).toBe(readFileSync(join(here, 'journald/50-streetwatch.conf'), 'utf8'));
    expect(statSync(join(root, 'etc/streetwatch/edge.env')).mode & 0o777).toBe(0o640);
    expect(statSync(join(root, 'etc/streetwatch/edge.yaml')).mode & 0o777).toBe(0o640);
  });

  it('installs a template that the real loader accepts once edge.env is filled in, with the spool where the unit may write', async () => {
    const root = tempDir('sw-install-');
    await install(root);
    const env: Record<string, string> = { ...envFile(readFileSync(join(root, 'etc/streetwatch/edge.env'), 'utf8')), MQTT_PASSWORD: 'printed-once' };
    const cfg = loadEdgeConfig(join(root, 'etc/streetwatch/edge.yaml'), env);
    expect(cfg.spool.dir).toBe('/var/lib/streetwatch/spool');
    expect(cfg.spool.dir.startsWith(`${one('Service.ReadWritePaths')!.split(' ')[0]}/`)).toBe(true);
    expect(cfg.mqtt).toMatchObject({ url: env.MQTT_URL, username: env.DEVICE_ID, password: 'printed-once' });
    // Unfilled, it fails naming the variable, rather than running with an empty password.
    expect(() => loadEdgeConfig(join(root, 'etc/streetwatch/edge.yaml'), envFile(readFileSync(join(here, 'edge.env'), 'utf8')))).toThrow(/MQTT_PASSWORD/);
  });

  it('never overwrites a config, and replaces the app on an upgrade', async () => {
    const root = tempDir('sw-install-');
    const mine = join(root, 'mine.yaml');
    writeFileSync(mine, '# my box\n');
    expect((await install(root, '--config', mine)).code).toBe(0);
    expect(readFileSync(join(root, 'etc/streetwatch/edge.yaml'), 'utf8')).toBe('# my box\n');
    writeFileSync(join(root, 'etc/streetwatch/edge.env'), 'MQTT_PASSWORD=kept\n');
    writeFileSync(join(root, 'opt/streetwatch/stale.js'), '');
    const again = await install(root, '--config', join(here, 'edge.yaml'));
    expect(again.code).toBe(0);
    expect(again.out).toContain('kept');
    expect(readFileSync(join(root, 'etc/streetwatch/edge.yaml'), 'utf8')).toBe('# my box\n');
    expect(readFileSync(join(root, 'etc/streetwatch/edge.env'), 'utf8')).toBe('MQTT_PASSWORD=kept\n');
    expect(existsSync(join(root, 'opt/streetwatch/stale.js'))).toBe(false);
    expect(existsSync(join(root, 'opt/streetwatch.old'))).toBe(false);
  });

  it('refuses unknown options and unreadable configs', async () => {
    const root = tempDir('sw-install-');
    expect((await install(root, '--bogus')).code).toBe(2);
    expect((await install(root, '--config', join(root, 'nope.yaml'))).code).toBe(1);
    expect(existsSync(join(root, 'opt'))).toBe(false);
  });

  it.skipIf(!onPath('systemd-analyze'))(`lays down a unit that systemd-analyze verify accepts without a warning${onPath('systemd-analyze') ? '' : ' (skipped: systemd-analyze is not installed)'}`, async () => {
    const root = tempDir('sw-install-');
    await install(root);
    const r = spawnSync('systemd-analyze', ['verify', join(root, 'etc/systemd/system', UNIT)], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

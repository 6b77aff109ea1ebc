import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/config-file.js';
import { projectRoot } from '../common/paths.js';
import { centerConfigSchema, loadCenterConfig } from './config.js';
import { findPublicSecrets, guardPublicSecrets, isPublicValue } from './public-secrets.js';

const examples = join(projectRoot, 'examples');
/** Every centre config the project ships: the examples and the compose demo's. */
const SHIPPED = [
  ...readdirSync(examples).filter((f) => /^center.*\.yaml$/.test(f)).map((f) => join(examples, f)),
  join(projectRoot, 'docker', 'center.compose.yaml'),
];
const SECRET_ENV = ['LINK_SECRET', 'OPERATOR_TOKEN', 'OFFICER_TOKEN', 'ADMIN_TOKEN', 'TEAM_WEBHOOK_SECRET', 'CENTER_MQTT_PASSWORD'];
const random = (n: number) => `k${n}${'9f3a7c1e5b'.repeat(4)}`;

const warnings = () => {
  const lines: { fields: string[]; msg: string }[] = [];
  return { lines, logger: { warn: (obj: { fields: string[] }, msg: string) => void lines.push({ ...obj, msg }) } };
};

describe('public example secrets', () => {
  it.each(SHIPPED)('finds every secret of %s left at its shipped value', (file) => {
    const cfg = loadCenterConfig(file, {});
    expect(findPublicSecrets(cfg).map((f) => f.field)).toEqual([
      'http.linkSecret',
      'users[0].token',
      'users[1].token',
      'users[2].token',
      'teams[0].webhook.secret',
    ]);
  });

  it.each(SHIPPED)('finds none in %s once every secret comes from the environment', (file) => {
    const env = Object.fromEntries(SECRET_ENV.map((name, i) => [name, random(i)]));
    expect(findPublicSecrets(loadCenterConfig(file, env))).toEqual([]);
  });

  it('refuses the schema\'s default link secret and "change me" placeholders, not random values', () => {
    const cfg = centerConfigSchema.parse({ teams: [{ id: 't' }], defaultTeam: 't' });
    expect(findPublicSecrets(cfg)).toEqual([{ field: 'http.linkSecret', fix: expect.stringContaining('openssl rand -hex 32') }]);
    expect(['change-me-please', 'ChangeMe123', 'my-example-secret', 'demo-secret'].every(isPublicValue)).toBe(true);
    expect(isPublicValue('0f8e2a6c4b9d1e3f5a7c9e1b3d5f7a9c')).toBe(false);
  });

  it('finds the Open311 clients\' example keys and callback secrets', () => {
    const cfg = centerConfigSchema.parse({
      teams: [{ id: 't' }], defaultTeam: 't', http: { linkSecret: random(1) },
      open311: { clients: [
        { id: 'hotline', apiKey: 'example-hotline-api-key', callbackUrl: 'https://hotline.test/cb', callbackSecret: 'change-me-callback' },
        { id: 'app', apiKey: random(2), callbackUrl: 'https://app.test/cb', callbackSecret: random(3) },
      ] },
    });
    expect(findPublicSecrets(cfg).map((f) => f.field)).toEqual(['open311.clients[0].apiKey', 'open311.clients[0].callbackSecret']);
    expect(findPublicSecrets(cfg)[0].fix).toContain('${OPEN311_HOTLINE_KEY}');
  });

  it('refuses to start outside the demo, naming each field and what to set', () => {
    const cfg = loadCenterConfig(SHIPPED[0], {});
    let err: unknown;
    try {
      guardPublicSecrets(cfg, { demo: false, logger: warnings().logger });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toContain('http.linkSecret: set http.linkSecret (e.g. linkSecret: "${LINK_SECRET}") to a random 32+ character value (`openssl rand -hex 32`)');
    expect(message).toMatch(/users\[2\]\.token: give admin a token of its own \(e\.g\. token: "\$\{ADMIN_TOKEN\}"\)/);
    expect(message).toContain('teams[0].webhook.secret');
    expect(message).toContain('pass --demo');
  });

  it('lets the demo start, with one loud warning naming the fields', () => {
    const cfg = loadCenterConfig(SHIPPED[0], {});
    const w = warnings();
    expect(guardPublicSecrets(cfg, { demo: true, logger: w.logger })).toHaveLength(5);
    expect(w.lines).toHaveLength(1);
    expect(w.lines[0].msg).toMatch(/^DEMO MODE/);
    expect(w.lines[0].fields).toContain('http.linkSecret');
  });
});

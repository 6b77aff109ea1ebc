/** Centre config loading: the shipped example loads, and a typo in a key is refused with its line. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/config-file.js';
import { projectRoot } from '../common/paths.js';
import { tempDir } from '../test/fixtures.js';
import { centerConfigSchema, loadCenterConfig } from './config.js';

const EXAMPLE = join(projectRoot, 'examples', 'center.yaml');

describe('loadCenterConfig', () => {
  it('loads the example', () => {
    expect(loadCenterConfig(EXAMPLE, {}).teams.length).toBeGreaterThan(0);
  });

  it('refuses an unknown key in a nested flow mapping, naming the closest known key and the line', () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace('{ id: li, name:', '{ id: li, nmae:');
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('nmae:'));
    expect(line).toBeGreaterThan(0);
    const file = join(tempDir('sw-center-config-'), 'center.yaml');
    writeFileSync(file, text);
    try {
      loadCenterConfig(file, {});
      throw new Error('loaded although a key is misspelt');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toMatch(new RegExp(`teams\\[\\d+\\]\\.officers\\[\\d+\\]\\.nmae: unknown key \\(did you mean name\\?\\) \\(line ${line + 1}, column ${lines[line].indexOf('nmae') + 1}\\)`));
    }
  });

  it('checks http.oidc: a redirect URL or publicUrl, https, openid among the scopes, known teams', () => {
    const file = join(tempDir('sw-center-oidc-'), 'center.yaml');
    const load = (oidc: string, http = '', roles = '{ admins: admin }') => {
      writeFileSync(file, `teams: [{ id: north }]\ndefaultTeam: north\nhttp:\n${http}  oidc: { issuer: "\${ISSUER}", clientId: sw, clientSecret: "\${SECRET}", roles: ${roles}${oidc} }\n`);
      return loadCenterConfig(file, { ISSUER: 'https://sso.city.example/realms/city', SECRET: 'from-the-environment' });
    };
    const ok = load('', '  publicUrl: https://sw.city.example\n').http.oidc!;
    expect(ok).toMatchObject({ name: 'City SSO', clientSecret: 'from-the-environment', scopes: ['openid', 'profile', 'email', 'groups'], usernameClaim: 'preferred_username', groupsClaim: 'groups', teams: {} });
    expect(load(', redirectUrl: "https://sw.city.example/api/session/oidc/callback"').http.oidc!.redirectUrl).toBe('https://sw.city.example/api/session/oidc/callback');
    expect(() => load('')).toThrow(/http\.oidc\.redirectUrl: set it, or http\.publicUrl/);
    expect(() => load(', redirectUrl: "http://sw.city.example/cb"')).toThrow(/http\.oidc\.redirectUrl: the redirect URL must be https/);
    expect(() => load(', scopes: [profile]', '  publicUrl: https://sw.city.example\n')).toThrow(/http\.oidc\.scopes: must include openid/);
    expect(() => load(', teams: { crew: east }', '  publicUrl: https://sw.city.example\n')).toThrow(/http\.oidc\.teams\.crew: no team east/);
    expect(() => load('', '  publicUrl: https://sw.city.example\n', '{ admins: king }')).toThrow(/http\.oidc\.roles\.admins: .*operator/);
    expect(() => load('', '  publicUrl: https://sw.city.example\n', '{}')).toThrow(/http\.oidc\.roles: map at least one group to a role/);
  });
});

describe('reports and Open311 clients', () => {
  const base = { teams: [{ id: 't' }], defaultTeam: 't' };
  const client = (over: Record<string, unknown> = {}) => ({ id: 'hotline', apiKey: 'k'.repeat(20), ...over });

  it('defaults the report rules, takes team areas and clients with keys from the environment', () => {
    const file = join(tempDir('sw-center-open311-'), 'center.yaml');
    writeFileSync(file, [
      'teams: [{ id: north, areas: [{ name: old town, polygon: [{ lat: 32, long: 118 }, { lat: 32, long: 119 }, { lat: 33, long: 119 }] }] }]',
      'defaultTeam: north',
      'open311: { clients: [{ id: hotline, apiKey: "${HOTLINE_KEY}", callbackUrl: "https://hotline.city.example/cb", callbackSecret: "${HOTLINE_SECRET}", autoConfirm: true }] }',
    ].join('\n'));
    const cfg = loadCenterConfig(file, { HOTLINE_KEY: 'from-the-environment-0123', HOTLINE_SECRET: 'secret-from-the-environment' });
    expect(cfg.reports).toEqual({ radiusMeters: 50, windowMinutes: 120, inspectorAutoConfirm: true, maxPhotoBytes: 5 * 1024 * 1024 });
    expect(cfg.open311.clients[0]).toMatchObject({ apiKey: 'from-the-environment-0123', callbackSecret: 'secret-from-the-environment', autoConfirm: true, requestsPerWindow: 60 });
    expect(cfg.teams[0].areas?.[0].polygon).toHaveLength(3);
  });

  it('refuses a callback without its secret, a client or key listed twice, a short key and a polygon of two corners, naming the field', () => {
    const parse = (extra: Record<string, unknown>) => centerConfigSchema.safeParse({ ...base, ...extra }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(parse({ open311: { clients: [client({ callbackUrl: 'https://x.example/cb' })] } })).toEqual(['open311.clients.0.callbackSecret: a callbackUrl needs a callbackSecret']);
    expect(parse({ open311: { clients: [client(), client({ apiKey: 'j'.repeat(20) })] } })).toEqual(['open311.clients.1.id: client hotline is listed twice']);
    expect(parse({ open311: { clients: [client(), client({ id: 'app' })] } })).toEqual(['open311.clients.1.apiKey: two clients share this API key']);
    expect(parse({ open311: { clients: [client({ apiKey: 'short' })] } })).toEqual(['open311.clients.0.apiKey: an API key needs at least 16 characters']);
    expect(parse({ teams: [{ id: 't', areas: [{ polygon: [{ lat: 1, long: 1 }, { lat: 2, long: 2 }] }] }] })).toEqual(['teams.0.areas.0.polygon: a polygon needs at least 3 corners']);
  });
});

describe('redisCluster', () => {
  const base = { teams: [{ id: 't' }], defaultTeam: 't' };

  it('takes seed nodes, with the failover and replica waits defaulted', () => {
    const cfg = centerConfigSchema.parse({ ...base, redisCluster: { nodes: ['redis://10.0.0.1:7000', 'rediss://:pw@10.0.0.2:7000'] } });
    expect(cfg.redisCluster).toEqual({ nodes: ['redis://10.0.0.1:7000', 'rediss://:pw@10.0.0.2:7000'], failoverRetryMs: 20_000, replicaAckMs: 500 });
  });

  it('refuses a node that is not a redis:// URL, no nodes, and unknown keys, naming the field', () => {
    const issues = (redisCluster: unknown) => centerConfigSchema.safeParse({ ...base, redisCluster }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ nodes: ['10.0.0.1:7000'] })).toEqual(['redisCluster.nodes.0: must be redis://[user:password@]host:port (or rediss:// for TLS)']);
    expect(issues({ nodes: ['redis://10.0.0.1:7000/2'] })?.[0]).toMatch(/^redisCluster\.nodes\.0: must be redis:/);
    expect(issues({ nodes: [] })).toEqual(['redisCluster.nodes: name at least one node']);
    expect(issues({ nodes: ['redis://a:1'], seeds: [] })?.[0]).toMatch(/^redisCluster: Unrecognized key/);
  });
});

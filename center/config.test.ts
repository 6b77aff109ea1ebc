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

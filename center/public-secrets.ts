/**
 * Secure defaults: the example configs carry tokens and secrets anyone can read, and the schema a
 * default link secret. A centre holding one of them is open to whoever read the examples, so it
 * refuses to start (exit 78) unless it runs as the demo (`--demo`, `streetwatch demo`), which
 * takes them with a loud warning. Pure: the caller decides what to do with the findings.
 */
import { ConfigError } from '../common/config-file.js';
import { DEFAULT_LINK_SECRET, type CenterConfig } from './config.js';

/**
 * What every public example value carries: the demo tokens and secrets (`demo-operator-token-0001`,
 * `demo-secret`, `streetwatch-demo-token`) and "change me" placeholders. public-secrets.test.ts
 * checks that every secret of examples/ and docker/ is caught by it.
 */
const PUBLIC_MARKER = /demo|change-?me|example/i;

export interface PublicSecret {
  /** Field path, as config errors name it: `users[0].token`. */
  field: string;
  /** What to set instead. */
  fix: string;
}

const RANDOM = 'a random 32+ character value (`openssl rand -hex 32`)';

export const isPublicValue = (value: string): boolean => value === DEFAULT_LINK_SECRET || PUBLIC_MARKER.test(value);

/** The secrets of `cfg` that are the examples' public values or the schema's default. */
export function findPublicSecrets(cfg: CenterConfig): PublicSecret[] {
  const found: PublicSecret[] = [];
  const check = (field: string, value: string | undefined, fix: string) => {
    if (value !== undefined && isPublicValue(value)) found.push({ field, fix });
  };
  check('http.linkSecret', cfg.http.linkSecret, `set http.linkSecret (e.g. linkSecret: "\${LINK_SECRET}") to ${RANDOM}`);
  check('mqtt.password', cfg.mqtt.password, `set mqtt.password (e.g. "\${CENTER_MQTT_PASSWORD}") to ${RANDOM}, or leave it empty for a random one at each start (embedded broker)`);
  cfg.users.forEach((u, i) => check(`users[${i}].token`, u.token, `give ${u.name} a token of its own (e.g. token: "\${${u.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN}"), ${RANDOM}; or remove the user and use \`streetwatch user add\``));
  cfg.teams.forEach((t, i) => {
    check(`teams[${i}].webhook.secret`, t.webhook?.secret, `set the secret the team's dispatch system checks to ${RANDOM}`);
    check(`teams[${i}].supervisorWebhook.secret`, t.supervisorWebhook?.secret, `set the secret the supervisors' system checks to ${RANDOM}`);
  });
  cfg.open311.clients.forEach((c, i) => {
    check(`open311.clients[${i}].apiKey`, c.apiKey, `give ${c.id} a key of its own (e.g. apiKey: "\${OPEN311_${c.id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_KEY}"), ${RANDOM}`);
    check(`open311.clients[${i}].callbackSecret`, c.callbackSecret, `set the secret ${c.id} checks its callbacks with to ${RANDOM}`);
  });
  return found;
}

/**
 * Refuses public secrets with a ConfigError naming each field and its fix; in the demo, logs one
 * loud warning instead. Returns the findings.
 */
export function guardPublicSecrets(cfg: CenterConfig, opts: { demo: boolean; logger: { warn(obj: object, msg: string): void } }): PublicSecret[] {
  const found = findPublicSecrets(cfg);
  if (!found.length) return found;
  if (opts.demo) {
    opts.logger.warn({ fields: found.map((f) => f.field) }, 'DEMO MODE: this centre runs with public example secrets; anyone who read the examples can sign in. Never expose it.');
    return found;
  }
  throw new ConfigError(
    `refusing to start with public example secrets (anyone who read the examples could use them):\n${found.map((f) => `  ${f.field}: ${f.fix}`).join('\n')}\n`
      + 'To run the demo anyway, pass --demo (or set STREETWATCH_DEMO=1).',
  );
}

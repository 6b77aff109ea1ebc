/**
 * Tests only: a real OpenID Connect provider (oidc-provider) on a loopback port, whose people and
 * their groups a test sets and changes, and a browser stand-in that walks a sign-in over real
 * HTTP: it follows redirects, keeps cookies per origin, and fills in the provider's sign-in form.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const CLIENT_ID = 'streetwatch';
export const CLIENT_SECRET = 'test-client-secret-0123456789abcdef';

export interface TestProvider {
  issuer: string;
  /** Claims of each person, by their id at the provider (their `sub`); change them between sign-ins. */
  people: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

/** A free loopback port, for a server whose URL must be known before it starts. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * `host` names the provider in its issuer URL (it listens on 127.0.0.1): `localhost` makes it
 * another site than a centre on 127.0.0.1, as a real provider is, for a browser's SameSite rules.
 */
export async function startProvider(redirectUri: string, host = '127.0.0.1'): Promise<TestProvider> {
  let handler: ReturnType<Provider['callback']> | undefined;
  const server = createServer((req, res) => void handler!(req, res));
  const issuer = `http://${host}:${await listen(server)}`;
  const people = new Map<string, Record<string, unknown>>();
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_post' }],
    jwks: { keys: [{ ...signingKey, alg: 'RS256', use: 'sig', kid: 'test-rs256' }] },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'], groups: ['groups', 'officer_id', 'team'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    findAccount: (_ctx, id) => {
      const claims = people.get(id);
      return claims ? { accountId: id, claims: () => ({ sub: id, ...claims }) } : undefined;
    },
  });
  handler = provider.callback();
  return {
    issuer,
    people,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The browser stand-in: cookies per origin (host and port), redirects followed by hand. */
export class Browser {
  private readonly jars = new Map<string, Map<string, string>>();

  cookie(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).origin)?.get(name);
  }

  private store(url: URL, res: Response): void {
    const jar = this.jars.get(url.origin) ?? new Map<string, string>();
    this.jars.set(url.origin, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
      const gone = value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now());
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const u = new URL(url);
    const cookies = [...(this.jars.get(u.origin) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(u, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: { ...(cookies ? { cookie: cookies } : {}), ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    this.store(u, res);
    return res;
  }

  /**
   * Follows redirects from `url`, signing in at the provider as `login` when its form asks (and
   * agreeing when it asks for consent), until a redirect leads to `stopAt` (not followed) or a page
   * answers. Returns the last response and the URL it came from.
   */
  async walk(url: string, login: string, stopAt?: (next: URL) => boolean): Promise<{ res: Response; url: string }> {
    let res = await this.request(url);
    for (let hops = 0; hops < 20; hops++) {
      const location = res.headers.get('location');
      if (location) {
        const next = new URL(location, url);
        if (stopAt?.(next)) return { res, url };
        url = next.href;
        res = await this.request(url);
        continue;
      }
      const form = res.status === 200 && /html/.test(res.headers.get('content-type') ?? '') ? formOf(await res.text()) : null;
      if (!form) return { res, url };
      url = new URL(form.action, url).href;
      res = await this.request(url, { method: 'POST', form: { prompt: form.prompt, login, password: 'any password' } });
    }
    throw new Error('too many redirects');
  }
}

/** The provider's (dev interaction) form: where it posts and which prompt it answers. */
function formOf(html: string): { action: string; prompt: string } | null {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
  return action && prompt ? { action: action.replace(/&amp;/g, '&'), prompt } : null;
}

/**
 * The centre as an OpenID Connect client of the city's identity provider (openid-client): the
 * authorization code flow with PKCE, state and nonce. The provider's metadata is discovered at the
 * first sign-in and kept; a failed discovery is not, so the next sign-in tries again.
 */
import * as client from 'openid-client';
import type { OidcConfig } from '../config.js';
import type { OidcFlow } from './oidc-flows.js';
import { OidcRefusal } from './oidc-profile.js';

/** Seconds a request to the provider may take before the sign-in is refused as unavailable. */
const PROVIDER_TIMEOUT_S = 10;

export class OidcClient {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly cfg: OidcConfig,
    /** The redirect URI registered at the provider. */
    readonly redirectUrl: string,
  ) {}

  private discover(): Promise<client.Configuration> {
    // Config allows http only on loopback (a provider started by a test).
    const execute = new URL(this.cfg.issuer).protocol === 'http:' ? [client.allowInsecureRequests] : [];
    this.configuration ??= client
      .discovery(new URL(this.cfg.issuer), this.cfg.clientId, this.cfg.clientSecret, undefined, { execute, timeout: PROVIDER_TIMEOUT_S })
      .catch((err: unknown) => {
        this.configuration = undefined;
        throw new OidcRefusal('unavailable', `cannot read the identity provider's metadata at ${this.cfg.issuer}: ${messageOf(err)}`);
      });
    return this.configuration;
  }

  /** A new sign-in: the checks to keep until the browser is back, and where to send it. */
  async begin(): Promise<{ flow: OidcFlow; url: string }> {
    const config = await this.discover();
    const flow: OidcFlow = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUrl,
      scope: this.cfg.scopes.join(' '),
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { flow, url: url.href };
  }

  /**
   * Trades the code the provider sent back (in `query`) for tokens, checking the state, nonce, PKCE
   * verifier and ID token; answers the user's claims: the ID token's, with userinfo's added.
   */
  async finish(query: URLSearchParams, flow: OidcFlow): Promise<Record<string, unknown>> {
    const config = await this.discover();
    const current = new URL(this.redirectUrl);
    current.search = query.toString();
    try {
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const id = tokens.claims()!;
      // Many providers release groups only through userinfo (scope claims stay out of the ID token).
      const info = config.serverMetadata().userinfo_endpoint ? await client.fetchUserInfo(config, tokens.access_token, id.sub) : {};
      return { ...info, ...id };
    } catch (err) {
      throw refusalOf(err);
    }
  }
}

function messageOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const own = err instanceof Error ? err.message : String(err);
  return cause instanceof Error && cause.message !== own ? `${own} (${cause.message})` : own;
}

/** The provider's refusal (its error code and description), or one of ours naming the check that failed. */
function refusalOf(err: unknown): OidcRefusal {
  if (err instanceof client.AuthorizationResponseError || err instanceof client.ResponseBodyError) {
    return new OidcRefusal('provider', `the identity provider answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`);
  }
  if (err instanceof TypeError || (err instanceof Error && err.name === 'TimeoutError')) {
    return new OidcRefusal('unavailable', `cannot reach the identity provider: ${messageOf(err)}`);
  }
  return new OidcRefusal('provider', `the identity provider's answer failed a check: ${messageOf(err)}`);
}

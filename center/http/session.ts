/**
 * The console's cookies: the session cookie, an opaque id of a session kept in Redis
 * (users/session-store.ts), and the cookie of a sign-in under way at the identity provider
 * (users/oidc-flows.ts). Both HttpOnly, so the page's script never holds them.
 */
export const SESSION_COOKIE = 'sw_session';
export const OIDC_FLOW_COOKIE = 'sw_oidc';
/** The flow cookie goes only to the routes that begin and finish a provider sign-in. */
export const OIDC_PATH = '/api/session/oidc';

/** The value of one cookie from a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

const cookie = (name: string, value: string, path: string, sameSite: 'Strict' | 'Lax', maxAgeS: number, secure: boolean): string =>
  `${name}=${value}; Path=${path}; HttpOnly; SameSite=${sameSite}; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;

/** HttpOnly, SameSite=Strict (never sent on cross-site requests); Secure when served over TLS. */
export const sessionCookie = (value: string, maxAgeS: number, secure: boolean): string => cookie(SESSION_COOKIE, value, '/', 'Strict', maxAgeS, secure);

/** SameSite=Lax: the provider sends the browser back with a cross-site top-level GET, which Strict would leave it off. */
export const oidcFlowCookie = (value: string, maxAgeS: number, secure: boolean): string => cookie(OIDC_FLOW_COOKIE, value, OIDC_PATH, 'Lax', maxAgeS, secure);

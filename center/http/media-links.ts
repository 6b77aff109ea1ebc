/**
 * Signed evidence links (`/media/<sha256>?exp=<unix s>&sig=<hex>`), shareable without a token:
 * HMAC-SHA256 with http.linkSecret over `<sha256>:<exp>`, valid until exp.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CenterConfig } from '../config.js';

export type LinkCheck = 'ok' | 'expired' | 'bad_signature';

export interface MediaSigner {
  /** Absolute when a base URL is known (argument, else http.publicUrl), else a root-relative path. */
  signMediaUrl(sha256: string, nowMs: number, baseUrl?: string): string;
  verify(sha256: string, exp: string | undefined, sig: string | undefined, nowMs: number): LinkCheck;
}

export function createMediaSigner(http: Pick<CenterConfig['http'], 'linkSecret' | 'linkTtlMinutes' | 'publicUrl'>): MediaSigner {
  const mac = (sha256: string, exp: number): Buffer => createHmac('sha256', http.linkSecret).update(`${sha256}:${exp}`).digest();
  return {
    signMediaUrl(sha256, nowMs, baseUrl = http.publicUrl) {
      const exp = Math.floor(nowMs / 1000) + Math.round(http.linkTtlMinutes * 60);
      const path = `/media/${sha256}?exp=${exp}&sig=${mac(sha256, exp).toString('hex')}`;
      return baseUrl ? `${baseUrl.replace(/\/+$/, '')}${path}` : path;
    },
    verify(sha256, exp, sig, nowMs) {
      if (!exp || !/^\d{1,12}$/.test(exp) || !sig || !/^[0-9a-f]{64}$/.test(sig)) return 'bad_signature';
      if (!timingSafeEqual(mac(sha256, Number(exp)), Buffer.from(sig, 'hex'))) return 'bad_signature';
      return Number(exp) * 1000 < nowMs ? 'expired' : 'ok';
    },
  };
}

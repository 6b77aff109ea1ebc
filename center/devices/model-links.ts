/**
 * Signed download links for model files (`/models/<sha256>.onnx?exp=<unix s>&sig=<hex>`): a box
 * has MQTT credentials, not API tokens, so the announcement carries a link that is its own
 * permission. The signature is the evidence links' (media-links.ts, same secret) over the subject
 * `model:<sha256>`, so an evidence link never verifies as a model link or the other way round.
 */
import type { CenterConfig } from '../config.js';
import { createMediaSigner, type LinkCheck } from '../http/media-links.js';

/**
 * Longer than evidence links: the announcement is retained and a box that was offline fetches it
 * when it comes back. A box offline for longer gets an expired link, reports the update rejected
 * (HTTP 403), and the model has to be announced again.
 */
export const MODEL_LINK_TTL_S = 7 * 24 * 3600;

export interface ModelLinkSigner {
  /** Absolute URL of the file under `baseUrl`. */
  sign(sha256: string, nowMs: number, baseUrl: string): string;
  verify(sha256: string, exp: string | undefined, sig: string | undefined, nowMs: number): LinkCheck;
}

export function createModelLinkSigner(http: Pick<CenterConfig['http'], 'linkSecret'>): ModelLinkSigner {
  const signer = createMediaSigner({ linkSecret: http.linkSecret, linkTtlMinutes: MODEL_LINK_TTL_S / 60 });
  const subject = (sha256: string) => `model:${sha256}`;
  return {
    sign(sha256, nowMs, baseUrl) {
      // Without a base URL the media signer returns `/media/<subject>?exp=…&sig=…`: keep its query.
      const query = signer.signMediaUrl(subject(sha256), nowMs, '').split('?')[1];
      return `${baseUrl.replace(/\/+$/, '')}/models/${sha256}.onnx?${query}`;
    },
    verify: (sha256, exp, sig, nowMs) => signer.verify(subject(sha256), exp, sig, nowMs),
  };
}

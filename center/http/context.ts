/** What every route module receives from buildApi. */
import type { CenterConfig } from '../config.js';
import type { ApiDeps } from './deps.js';
import type { MediaSigner } from './media-links.js';

/** The parts of the centre config the API reads (the console shows time zone, SLA and cameras). */
export type ApiConfig = Pick<CenterConfig, 'http' | 'users' | 'teams' | 'sla' | 'cameras' | 'timezone'>;

export interface ApiContext {
  deps: ApiDeps;
  config: ApiConfig;
  signer: MediaSigner;
  now: () => number;
}

/** What every route module receives from buildApi. */
import type { CenterConfig } from '../config.js';
import type { ApiDeps } from './deps.js';
import type { MediaSigner } from './media-links.js';

export interface ApiContext {
  deps: ApiDeps;
  config: Pick<CenterConfig, 'http' | 'users' | 'teams'>;
  signer: MediaSigner;
  now: () => number;
}

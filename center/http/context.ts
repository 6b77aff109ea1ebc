/** What every route module receives from buildApi. */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CenterConfig } from '../config.js';
import type { ApiDeps } from './deps.js';
import type { MediaSigner } from './media-links.js';

/** The parts of the centre config the API reads (the console shows time zone, SLA and cameras; reports take Open311 clients and photo limits). */
export type ApiConfig = Pick<CenterConfig, 'http' | 'users' | 'teams' | 'sla' | 'cameras' | 'timezone' | 'open311' | 'reports'>;

/** The app as route modules see it: each request's params, query and body typed from its route's zod schemas. */
export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

export interface ApiContext {
  deps: ApiDeps;
  config: ApiConfig;
  signer: MediaSigner;
  now: () => number;
}

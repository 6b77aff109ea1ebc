/**
 * Rate limits on the routes anyone can call without signing in (`config: { public: true }`):
 * Open311, signed media and model links, sign-out, the API description, the console page, and
 * apart from them, more tightly, sign-in (POST /api/session). Counted per client address in Redis
 * by @fastify/rate-limit, so every API process shares the count. Routes that set
 * `rateLimit: false` are not limited: `/healthz` (a busy prober must not make the centre look
 * down) and the external broker's auth hooks. Over the limit: 429 with Retry-After, in the
 * API's error shape.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RedisClient } from '../../common/redis.js';
import type { CenterConfig } from '../config.js';
import { ApiError } from './errors.js';

export type RateLimitConfig = CenterConfig['http']['rateLimit'];

/** Where the counts live; without it each process counts alone, in memory. */
export interface RateLimitStore {
  redis: RedisClient;
  prefix: string;
}

/** Sign-in is counted apart from the other public routes. */
const groupOf = (req: FastifyRequest): 'sign-in' | 'public' => (req.method === 'POST' && req.routeOptions.url === '/api/session' ? 'sign-in' : 'public');

export function installRateLimit(app: FastifyInstance, limits: RateLimitConfig, store: RateLimitStore | undefined): void {
  if (!limits.enabled) return;
  // Added before the plugin loads, so it runs before the plugin's own onRoute hook: routes that
  // need a sign-in are left out. Public ones share one budget per address (a route's own
  // `rateLimit` config would count it apart).
  app.addHook('onRoute', (route) => {
    if (!route.config?.public) route.config = { ...route.config, rateLimit: false };
  });
  void app.register(rateLimit, {
    global: true,
    keyGenerator: (req) => `${req.ip}:${groupOf(req)}`,
    max: async (req) => (groupOf(req) === 'sign-in' ? limits.signInRequests : limits.publicRequests),
    timeWindow: limits.windowSeconds * 1000,
    ...(store ? { redis: store.redis, nameSpace: `${store.prefix}:rate-limit:` } : {}),
    // Redis away: requests pass (the routes behind report the outage themselves).
    skipOnError: true,
    errorResponseBuilder: (_req, ctx) => new ApiError(429, 'RATE_LIMITED', `too many requests from your address; try again in ${Math.max(1, Math.ceil(ctx.ttl / 1000))} s`),
  });
}

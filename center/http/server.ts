/**
 * The centre's HTTP API: builds (does not start) a Fastify instance from injected dependencies.
 * The caller owns listen/close.
 */
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { projectVersion } from '../../common/paths.js';
import { installAuth } from './auth.js';
import { brokerAuthRoutes } from './broker-auth.js';
import { cameraPhotoRoutes } from './camera-photo.js';
import { consoleSettingsRoutes } from './console-settings.js';
import { consoleStaticRoutes } from './console-static.js';
import type { ApiConfig, ApiContext } from './context.js';
import { deadLetterRoutes } from './dead-letters.js';
import type { ApiDeps } from './deps.js';
import { deviceConfigRoutes } from './device-config.js';
import { exemptPlateRoutes } from './exempt-plates.js';
import { deviceRoutes } from './devices.js';
import { answerFrameworkError, installErrorHandling } from './errors.js';
import { evidenceRoutes } from './evidence.js';
import { eventRoutes } from './events.js';
import { HttpMetrics } from './http-metrics.js';
import { kpiSeriesRoutes } from './kpi-series.js';
import { kpiRoutes } from './kpis.js';
import { createMediaSigner } from './media-links.js';
import { modelRoutes } from './models.js';
import { myTokenRoutes } from './my-tokens.js';
import { oidcRoutes } from './oidc-routes.js';
import { openApiOptions, openApiRoutes } from './openapi.js';
import { open311Routes } from './open311.js';
import { installRateLimit } from './rate-limit.js';
import { opsRoutes } from './ops.js';
import { pushRoutes } from './push.js';
import { orderPhotoRoutes } from './order-photos.js';
import { ordersRoutes } from './orders.js';
import { reportRoutes } from './reports.js';
import { reviewRoutes } from './review.js';
import { sessionRoutes } from './session-routes.js';
import { UserDirectory } from './user-directory.js';
import { userRoutes } from './users.js';
import { validatorCompiler } from './validate.js';

export type { ApiConfig } from './context.js';

export function buildApi(deps: ApiDeps, config: ApiConfig): FastifyInstance {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Fastify's request lines carry the raw URL (plates in /by-plate, link signatures); ours below do not.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    ...(config.http.trustedProxies.length ? { trustProxy: config.http.trustedProxies } : {}),
    frameworkErrors: answerFrameworkError,
  });
  const ctx: ApiContext = { deps, config, signer: createMediaSigner(config.http), now: deps.now ?? Date.now };
  const httpMetrics = new HttpMetrics();

  installErrorHandling(app);
  // Clients often send Content-Type: application/json on body-less POSTs (confirm): treat as no body.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => (body === '' ? done(null, undefined) : json(req, String(body), done)));
  // Reports come with a photo as multipart: its fields and file land in the body.
  void app.register(fastifyMultipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: config.reports.maxPhotoBytes, files: 1, fields: 40 } });
  const directory = new UserDirectory(config, deps.users.accounts, deps.users.tokens);
  installAuth(app, deps.users, directory);
  httpMetrics.install(app);
  app.addHook('onResponse', async (req, reply) => {
    // The broker's checks come at the rate of MQTT traffic; they log their refusals themselves.
    if (req.routeOptions.config?.brokerAuth) return;
    req.log.info({ method: req.method, route: req.is404 ? null : req.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime), user: req.apiUser?.name }, 'request');
  });

  installRateLimit(app, config.http.rateLimit, deps.rateLimitStore);

  // Routes validate with their zod schemas; responses with one are encoded by it.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The routes are added once the swagger plugin has loaded, so that it sees (and documents) each one.
  void app.register(fastifySwagger, openApiOptions(projectVersion()));
  app.after(() => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    ordersRoutes(api, ctx);
    orderPhotoRoutes(api, ctx);
    reviewRoutes(api, ctx);
    deadLetterRoutes(api, ctx);
    deviceRoutes(api, ctx);
    kpiRoutes(api, ctx);
    evidenceRoutes(api, ctx);
    open311Routes(api, ctx);
    reportRoutes(api, ctx);
    opsRoutes(api, ctx, httpMetrics);
    // The console's own routes.
    sessionRoutes(api, ctx, directory);
    if (config.http.oidc) oidcRoutes(api, ctx, directory, config.http.oidc);
    userRoutes(api, ctx, directory);
    myTokenRoutes(api, ctx, directory);
    consoleSettingsRoutes(api, ctx);
    kpiSeriesRoutes(api, ctx);
    cameraPhotoRoutes(api, ctx);
    if (deps.live) eventRoutes(api, deps.live);
    if (deps.deviceConfig) deviceConfigRoutes(api, ctx, deps.deviceConfig);
    if (deps.exemptPlates) exemptPlateRoutes(api, ctx, deps.exemptPlates);
    if (deps.models) modelRoutes(api, ctx, deps.models);
    if (deps.push) pushRoutes(api, deps.push);
    if (deps.consoleDir) consoleStaticRoutes(api, deps.consoleDir);
    if (deps.brokerAuth) brokerAuthRoutes(api, deps.brokerAuth);
    openApiRoutes(api);
  });
  return app;
}

export { createMediaSigner, type MediaSigner } from './media-links.js';
export type * from './deps.js';

/**
 * Serves the built console (`npm run build` → console/dist) on the API's port: `/` is the page,
 * `/assets/*` its content-hashed scripts and styles, `/app/` the officer app (its page, manifest,
 * icons and service worker). The build writes brotli and gzip copies next
 * to each file and the one the browser accepts is sent, so nothing is compressed per request.
 * The files are public (the sign-in form is part of them); every byte of data needs a session.
 */
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The page may load only its own files and talk only to its own origin: no CDN, no tiles, no fonts. */
const PAGE_POLICY = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export function consoleStaticRoutes(app: FastifyInstance, dir: string): void {
  if (!existsSync(join(dir, 'index.html'))) {
    // Not API: left out of the OpenAPI document, like @fastify/static's routes (its schemaHide).
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The StreetWatch console is not built: run `npm run build`.\n'));
    return;
  }
  app.register(async (scope) => {
    // @fastify/static takes no route config; mark its routes public here, in its own scope only.
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await scope.register(fastifyStatic, {
      root: dir,
      wildcard: false,
      preCompressed: true,
      cacheControl: false,
      setHeaders(reply, path) {
        const page = basename(path).startsWith('index.html');
        // Asset names carry their content hash: cache them for good; always revalidate the rest
        // (pages, the officer app's manifest, icons and service worker keep their names).
        const hashed = basename(dirname(path)) === 'assets';
        reply.header('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
        reply.header('X-Content-Type-Options', 'nosniff');
        if (page) reply.header('Content-Security-Policy', PAGE_POLICY).header('Referrer-Policy', 'no-referrer');
      },
    });
  });
}

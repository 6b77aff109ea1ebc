/**
 * Over-the-air model updates: admins upload model files and announce them to one box or the
 * fleet; boxes download them through signed links (they hold MQTT credentials, not API tokens).
 *
 *   PUT  /api/models/:sha256               upload (admin), raw bytes, must hash to :sha256
 *   GET  /models/<sha256>.onnx?exp&sig      download through a signed link (public)
 *   GET  /api/devices/:deviceId/model       desired and reported model of a box
 *   POST /api/devices/:deviceId/model       announce to one box (admin)
 *   POST /api/models/announce               announce to the listed boxes, default every active one (admin)
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { ID_PATTERN, modelRef } from '../../contract/index.js';
import { listManifestNames } from '../../models/manifest.js';
import type { Role } from '../config.js';
import { ModelFileError } from '../devices/model-files.js';
import { requireRole, signedIn } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import { ApiError, badRequest, notFound } from './errors.js';
import { createModelLinkSigner } from '../devices/model-links.js';
import type { AnnouncedModel, ModelService } from '../devices/model-service.js';
import { rawResponse } from './openapi.js';
import { sha256Param } from './validate.js';

/** A model runs on every box it is sent to and decides what becomes a work order: admins only. */
const MODEL_ADMINS: readonly Role[] = ['admin'];

const idText = z.string().regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ . -');
const deviceParam = z.object({ deviceId: idText });
const fileParam = z.object({ file: z.string().regex(/^[0-9a-f]{64}\.onnx$/, 'must be <sha256>.onnx') });
const linkQuery = z.object({ exp: z.string().optional(), sig: z.string().optional() });
const storedFile = z.object({ sha256: z.string(), size: z.number().int() });

const announceBody = modelRef
  .extend({
    /** Needed with `url`; otherwise taken from the uploaded file (and checked if given). */
    size: z.number().int().positive().optional(),
    /** A file elsewhere (http/https); default: the uploaded file, through a signed link to this API. */
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  })
  .refine((b) => listManifestNames().includes(b.name), { path: ['name'], message: 'is not a known model manifest' })
  .refine((b) => b.url === undefined || b.size !== undefined, { path: ['size'], message: 'is required with url' });
const fleetBody = announceBody.and(z.object({ devices: z.array(idText).min(1).optional() }));
const ANNOUNCED = 'the desired model now sent to the box, retained: `{ version, issuedAt, by, model: { name, version, sha256, size, url } }`';

export function modelRoutes(app: ApiApp, ctx: ApiContext, service: ModelService): void {
  const links = createModelLinkSigner(ctx.config.http);

  /** Active (registered, not revoked) devices by id. */
  const activeDevices = async (): Promise<Set<string>> =>
    new Set((await ctx.deps.devices.list()).filter((d) => d.revokedAt === null).map((d) => d.deviceId));

  /** The announcement's file: the given URL, or a signed link to the uploaded file. */
  const resolveFile = async (body: z.output<typeof announceBody>): Promise<AnnouncedModel> => {
    const { name, version, sha256, size, url } = body;
    if (url !== undefined) return { name, version, sha256, size: size!, url };
    const stored = await service.files.get(sha256);
    if (!stored) throw notFound(`no model file ${sha256}: upload it first (PUT /api/models/${sha256}) or give its url and size`);
    if (size !== undefined && size !== stored.size) throw badRequest(`size: the uploaded file has ${stored.size} bytes`, 'size');
    const base = ctx.config.http.publicUrl;
    if (!base) throw badRequest('url: give the file\'s url, or set http.publicUrl (how the boxes reach this API) so that they can download it from here', 'url');
    return { name, version, sha256, size: stored.size, url: links.sign(sha256, ctx.now(), base) };
  };

  // Model files arrive as raw bytes and are streamed to disk, so the API's JSON body limit does
  // not apply; the octet-stream parser lives only in this scope.
  void app.register(async (scope: ApiApp) => {
    scope.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
    scope.put('/api/models/:sha256', {
      preValidation: requireRole(MODEL_ADMINS, 'uploading models'),
      schema: {
        summary: 'Upload a model file',
        description: 'Admins. The body is the file, `Content-Type: application/octet-stream`; it must hash to the sha256 in the path. 201 when new, 200 when already held.',
        tags: ['models'],
        params: sha256Param,
        response: { 200: storedFile, 201: storedFile },
      },
    }, async (req, reply) => {
      const { sha256 } = req.params;
      const body = req.body;
      if (!(body instanceof Readable)) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the model file as the body, with Content-Type: application/octet-stream');
      try {
        const stored = await service.upload(sha256, body, signedIn(req).name);
        return await reply.code(stored.created ? 201 : 200).send({ sha256, size: stored.size });
      } catch (err) {
        if (err instanceof ModelFileError) throw new ApiError(err.code === 'MODEL_FILE_TOO_LARGE' ? 413 : 400, err.code, err.message);
        throw err;
      }
    });
  });

  app.get('/models/:file', {
    config: { public: true },
    schema: {
      summary: 'Download a model file through a signed link',
      description: 'The links are what announcements send the boxes; 403 once expired or when the signature does not match.',
      tags: ['models'],
      params: fileParam,
      querystring: linkQuery,
      response: { 200: rawResponse('application/octet-stream', 'The ONNX file') },
    },
  }, async (req, reply) => {
    const { file } = req.params;
    const { exp, sig } = req.query;
    const sha256 = file.slice(0, 64);
    const check = links.verify(sha256, exp, sig, ctx.now());
    if (check === 'expired') throw new ApiError(403, 'LINK_EXPIRED', 'this model link has expired; announce the model again');
    if (check !== 'ok') throw new ApiError(403, 'BAD_SIGNATURE', 'this model link is not validly signed');
    const stored = await service.files.get(sha256);
    if (!stored) throw notFound(`no model file ${sha256}`);
    return reply.type('application/octet-stream').header('Content-Length', stored.size).header('ETag', `"${sha256}"`).send(createReadStream(stored.path));
  });

  app.get('/api/devices/:deviceId/model', {
    schema: {
      summary: 'A box\'s model: what the centre announced, what the box reports',
      description: 'Answers `{ desired, reported }`: the last announcement (null before the first) and the box\'s last ModelReported message with `receivedAt` (null before the first).',
      tags: ['devices'],
      params: deviceParam,
    },
  }, async (req) => {
    const { deviceId } = req.params;
    if (!(await ctx.deps.devices.list()).some((d) => d.deviceId === deviceId)) throw notFound(`no device ${deviceId}`);
    return service.get(deviceId);
  });

  app.post('/api/devices/:deviceId/model', {
    preValidation: requireRole(MODEL_ADMINS, 'announcing models'),
    schema: {
      summary: 'Announce a model to one box',
      description: `Admins. Without \`url\` the uploaded file is sent, through a signed link. Answers ${ANNOUNCED}.`,
      tags: ['devices', 'models'],
      params: deviceParam,
      body: announceBody,
    },
  }, async (req) => {
    const { deviceId } = req.params;
    if (!(await activeDevices()).has(deviceId)) throw notFound(`no active device ${deviceId}`);
    return service.announce(deviceId, await resolveFile(req.body), signedIn(req).name);
  });

  app.post('/api/models/announce', {
    preValidation: requireRole(MODEL_ADMINS, 'announcing models'),
    schema: {
      summary: 'Announce a model to the listed boxes, by default every active one',
      description: `Admins. Answers \`{ items, total }\`, each item a box's \`deviceId\` and ${ANNOUNCED}.`,
      tags: ['models'],
      body: fleetBody,
    },
  }, async (req) => {
    const user = signedIn(req);
    const { devices, ...body } = req.body;
    const active = await activeDevices();
    const unknown = devices?.find((id) => !active.has(id));
    if (unknown) throw notFound(`no active device ${unknown}`);
    const model = await resolveFile(body);
    const items = [];
    for (const deviceId of devices ?? [...active].sort()) items.push({ deviceId, ...(await service.announce(deviceId, model, user.name)) });
    return { items, total: items.length };
  });
}

import { CreateUploadBody, MediaEnvelope, MediaIdParams, MediaRef, UploadSlot } from '@glimpse/contract';
import { bearerAuth, requireViewer } from '../http/auth.js';
import { errorResponses } from '../http/error-responses.js';
import type { App } from '../http/types.js';
import type { MediaService } from './media.service.js';

/** The media flow's API (API.md, "Media"). The bytes go to `upload.url`, never through here. */
export function mediaRoutes(app: App, { media }: { media: MediaService }) {
  const tags = ['media'];

  app.post(
    '/media/uploads',
    {
      schema: {
        tags,
        summary: 'Ask for an upload slot: a URL to PUT the photo to directly',
        security: bearerAuth,
        body: CreateUploadBody,
        response: { 201: UploadSlot, ...errorResponses(400, 401, 413, 415, 429) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await media.createUpload(requireViewer(request).userId, request.body)),
  );

  app.post(
    '/media/:id/complete',
    {
      schema: {
        tags,
        summary: 'Say the bytes are up: checks them and starts processing (repeatable)',
        security: bearerAuth,
        params: MediaIdParams,
        response: { 202: MediaEnvelope, ...errorResponses(400, 401, 404, 415) },
      },
    },
    async (request, reply) =>
      reply.code(202).send({ media: await media.complete(requireViewer(request).userId, request.params.id) }),
  );

  app.get(
    '/media/:id',
    {
      schema: {
        tags,
        summary: 'One media item: its status and, once ready, its renditions',
        security: bearerAuth,
        params: MediaIdParams,
        response: { 200: MediaRef, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => media.get(requireViewer(request).userId, request.params.id),
  );
}

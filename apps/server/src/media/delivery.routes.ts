import { Type } from 'typebox';
import { ErrorBody } from '@glimpse/contract';
import type { Readable } from 'node:stream';
import type { App } from '../http/types.js';
import type { MediaDelivery } from './delivery.js';

const WebpBytes = Type.Unsafe<Readable | null>({
  type: 'string',
  format: 'binary',
  description: 'image/webp',
});

/** `GET /media/{id}/{variant}.webp`: the origin a CDN or the nginx edge sits in front of. */
export function deliveryRoutes(app: App, { delivery }: { delivery: MediaDelivery }) {
  app.get(
    '/media/:id/:file',
    {
      schema: {
        tags: ['media'],
        summary: 'A rendition (immutable; signed URL for private accounts)',
        params: Type.Object({ id: Type.String({ maxLength: 20 }), file: Type.String({ maxLength: 20 }) }),
        querystring: Type.Object({
          exp: Type.Optional(Type.String({ maxLength: 20 })),
          sig: Type.Optional(Type.String({ maxLength: 100 })),
        }),
        response: {
          200: WebpBytes,
          206: WebpBytes,
          304: Type.Null({ description: 'Not modified' }),
          403: ErrorBody,
          404: ErrorBody,
          416: Type.Null({ description: 'Range not satisfiable' }),
        },
      },
    },
    async (request, reply) => {
      const result = await delivery.serve({
        id: request.params.id,
        file: request.params.file,
        query: request.query,
        headers: {
          range: request.headers.range,
          ifNoneMatch: request.headers['if-none-match'],
          ifModifiedSince: request.headers['if-modified-since'],
        },
      });
      void reply.code(result.status).headers(result.headers);
      return reply.send(result.body);
    },
  );
}

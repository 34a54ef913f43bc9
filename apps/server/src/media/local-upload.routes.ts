import { Transform } from 'node:stream';
import { Type } from 'typebox';
import { ErrorBody } from '@glimpse/contract';
import type { App } from '../http/types.js';
import { AppError } from '../lib/errors.js';
import { uploadBinding, type UrlSigner } from '../lib/signed-url.js';
import type { ObjectStore } from '../ports/object-store.js';
import { MAX_UPLOAD_BYTES } from './limits.js';

/**
 * The embedded shape's stand-in for an S3 pre-signed PUT: `PUT /uploads/{key}?expires&signature`.
 * The signature binds key, expiry, content type and exact length. The body streams to disk as
 * it arrives (never held in memory), and a body longer or shorter than signed is refused and
 * leaves nothing behind.
 */
export async function localUploadRoutes(app: App, deps: { objects: ObjectStore; signer: UrlSigner }) {
  await app.register(async (scope) => {
    // Any content type: the bytes are a photo, not JSON; the stream goes to the handler untouched.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    scope.put(
      '/uploads/*',
      {
        bodyLimit: MAX_UPLOAD_BYTES,
        schema: {
          tags: ['media'],
          summary: 'Upload target of the embedded shape (what a pre-signed S3 URL is elsewhere)',
          querystring: Type.Object({
            expires: Type.String({ maxLength: 20 }),
            signature: Type.String({ maxLength: 100 }),
          }),
          response: {
            200: Type.Null({ description: 'Stored; ETag header set' }),
            400: ErrorBody,
            403: ErrorBody,
            411: ErrorBody,
            413: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const key = (request.params as { '*': string })['*'];
        const contentType = request.headers['content-type'] ?? '';
        const declared = request.headers['content-length'];
        if (declared === undefined)
          throw new AppError(411, 'length_required', 'Send Content-Length with the upload.');
        const length = Number(declared);
        const { expires, signature } = request.query as { expires: string; signature: string };
        const binding = uploadBinding({ contentType, contentLength: length });
        if (!deps.signer.verify(`/${key}`, Number(expires), signature, binding)) {
          throw new AppError(
            403,
            'signature_invalid',
            'This upload URL is not valid, has expired, or does not match the file.',
          );
        }
        let received = 0;
        const exact = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            received += chunk.length;
            if (received > length)
              done(new AppError(400, 'upload_size_mismatch', 'The body is longer than declared.'));
            else done(null, chunk);
          },
          flush(done) {
            done(
              received === length
                ? null
                : new AppError(400, 'upload_size_mismatch', 'The body is shorter than declared.'),
            );
          },
        });
        const stored = await deps.objects
          .put(key, request.raw.pipe(exact), { contentType })
          .catch((err: unknown) => {
            throw err instanceof AppError
              ? err
              : new AppError(400, 'upload_interrupted', 'The upload did not finish.');
          });
        return reply.code(200).header('etag', stored.etag).send(null);
      },
    );
  });
}

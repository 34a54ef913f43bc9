import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';
import { StoreUnavailableError } from '../ports/relational-store.js';
import type { App } from './types.js';
import { fieldErrors } from './validation.js';

interface ErrorPayload {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Fastify's own 4xx errors, by code, in the API's words. */
const FRAMEWORK_ERRORS: Record<string, { code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed_json', message: 'The body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'malformed_json', message: 'The body is empty; send a JSON object.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: 'The request body is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'This content type is not accepted here; send application/json.',
  },
  FST_REQ_FILE_TOO_LARGE: { code: 'payload_too_large', message: 'A file is too large (at most 50 MiB).' },
  FST_FILES_LIMIT: { code: 'too_many_files', message: 'Too many files in one request (at most 10).' },
  FST_PARTS_LIMIT: { code: 'too_many_parts', message: 'Too many parts in one request.' },
  FST_FIELDS_LIMIT: { code: 'too_many_fields', message: 'Too many fields in one request.' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    code: 'unsupported_media_type',
    message: 'Send the photos as multipart/form-data, or JSON with media ids.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'bad_request',
    message: 'The body length does not match Content-Length.',
  },
};

function classify(error: FastifyError | AppError | Error, request: FastifyRequest): ErrorPayload {
  if (error instanceof AppError) {
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      details: error.details,
      headers: error.headers,
    };
  }
  if (error instanceof StoreUnavailableError) {
    // API.md: a dependency is down (or every connection is busy), so retry; not a bug.
    return {
      status: 503,
      code: 'database_unavailable',
      message: 'The service is busy or its database is unreachable. Try again shortly.',
      headers: { 'Retry-After': '1' },
    };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const context = fastifyError.validationContext ?? 'body';
    return {
      status: 400,
      code: 'validation_failed',
      message: 'Some fields are invalid.',
      details: { fields: fieldErrors(fastifyError.validation as never, context), in: context },
    };
  }
  const known = fastifyError.code ? FRAMEWORK_ERRORS[fastifyError.code] : undefined;
  if (known) return { status: fastifyError.statusCode ?? 400, ...known };
  // secure-json-parse's rejections (prototype poisoning) and other parser errors arrive as 400s.
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return { status: 400, code: 'malformed_json', message: 'The body is not valid JSON.' };
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      code: 'bad_request',
      message: 'The request could not be understood.',
    };
  }
  return {
    status: 500,
    code: 'internal_error',
    message: 'Something went wrong on our side. It has been logged.',
    details: { requestId: request.id },
  };
}

export function sendError(reply: FastifyReply, payload: ErrorPayload): FastifyReply {
  if (payload.headers) void reply.headers(payload.headers);
  return reply.code(payload.status).send({
    error: {
      code: payload.code,
      message: payload.message,
      ...(payload.details && { details: payload.details }),
    },
  });
}

/** One error shape for every failure (API.md): `{error: {code, message, details?}}`. */
export function installErrorHandling(app: App, options: { spaShell: boolean }): void {
  app.setErrorHandler((error, request, reply) => {
    const payload = classify(error as Error, request);
    if (payload.status === 503) request.log.warn({ err: error }, 'dependency unavailable');
    else if (payload.status >= 500) request.log.error({ err: error }, 'unhandled error');
    else request.log.debug({ code: payload.code }, 'request rejected');
    return sendError(reply, payload);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // Client-side routes of the web app (/u/alice) load its shell; API paths keep their JSON 404.
    if (
      options.spaShell &&
      request.method === 'GET' &&
      !path.startsWith('/api/') &&
      request.headers.accept?.includes('text/html')
    ) {
      return reply.type('text/html').sendFile('index.html');
    }
    return sendError(reply, {
      status: 404,
      code: 'not_found',
      message: `There is no ${request.method} ${path}.`,
    });
  });
}

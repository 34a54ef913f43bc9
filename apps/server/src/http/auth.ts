import type { FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/sessions.service.js';
import type { AccessClaims } from '../accounts/tokens.js';
import { unauthorized } from '../lib/errors.js';
import type { App } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, or null for an anonymous request. */
    viewer: AccessClaims | null;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/**
 * Reads `Authorization: Bearer <token>` on every API request. No header means anonymous; a
 * header that is malformed, expired or revoked is a 401, even on public routes, so that
 * clients learn to refresh instead of silently seeing less.
 */
export function installAuthentication(app: App, sessions: SessionService): void {
  app.decorateRequest('viewer', null);
  // Routes documented as needing a token refuse anonymous calls before validating anything:
  // a caller without a token learns "log in", not which fields were wrong.
  app.addHook('onRoute', (route) => {
    if (!route.schema?.security) return;
    const existing = route.onRequest ? [route.onRequest].flat() : [];
    route.onRequest = [...existing, async (request) => void requireViewer(request)];
  });
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return;
    const match = BEARER.exec(header);
    if (!match)
      throw unauthorized('invalid_token', 'The Authorization header must be "Bearer <access token>".');
    request.viewer = await sessions.authenticate(match[1]!);
  });
}

/**
 * For the one route a browser's EventSource calls (it cannot send headers): the access token
 * may also come as `?access_token=`. Only routes that add this hook accept it, the header wins
 * when both are sent, and the request log never records query strings (lifecycle.ts).
 */
export function acceptQueryToken(sessions: SessionService) {
  return async (request: FastifyRequest): Promise<void> => {
    if (request.headers.authorization !== undefined) return;
    const token = queryToken(request);
    if (token === undefined) return;
    if (!JWT.test(token)) throw unauthorized('invalid_token', 'The access token is not valid.');
    request.viewer = await sessions.authenticate(token);
  };
}

/** The access token this request authenticated with (header, or the query where accepted). */
export function accessTokenOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header !== undefined) return BEARER.exec(header)?.[1] ?? null;
  return queryToken(request) ?? null;
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const queryToken = (request: FastifyRequest) => {
  const value = (request.query as { access_token?: unknown } | undefined)?.access_token;
  return typeof value === 'string' ? value : undefined;
};

export function requireViewer(request: FastifyRequest): AccessClaims {
  if (!request.viewer) throw unauthorized('unauthenticated', 'Log in to do this.');
  return request.viewer;
}

/** OpenAPI annotation for routes that need a token. */
export const bearerAuth = [{ bearerAuth: [] }];

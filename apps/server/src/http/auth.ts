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

export function requireViewer(request: FastifyRequest): AccessClaims {
  if (!request.viewer) throw unauthorized('unauthenticated', 'Log in to do this.');
  return request.viewer;
}

/** OpenAPI annotation for routes that need a token. */
export const bearerAuth = [{ bearerAuth: [] }];

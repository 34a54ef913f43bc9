import {
  AuthResult,
  ChangePasswordBody,
  LoginBody,
  Me,
  RefreshBody,
  RegisterBody,
  TokenPair,
  UpdateMeBody,
} from '@glimpse/contract';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { bearerAuth, requireViewer } from '../http/auth.js';
import { errorResponses } from '../http/error-responses.js';
import type { App } from '../http/types.js';
import type { AccountService } from './accounts.service.js';
import type { ClientInfo, SessionService } from './sessions.service.js';

const clientOf = (request: FastifyRequest): ClientInfo => ({
  ip: request.ip ?? null,
  userAgent: request.headers['user-agent'] ?? null,
});

/** Accounts and sessions (API.md, "Accounts and sessions"). */
export function accountsRoutes(
  app: App,
  { accounts, sessions }: { accounts: AccountService; sessions: SessionService },
) {
  const tags = ['accounts'];

  app.post(
    '/auth/register',
    {
      schema: {
        tags,
        summary: 'Create an account and a first session',
        body: RegisterBody,
        response: { 201: AuthResult, ...errorResponses(400, 409, 413, 415, 429) },
      },
    },
    async (request, reply) => reply.code(201).send(await accounts.register(request.body, clientOf(request))),
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in with a username or email and a password',
        body: LoginBody,
        response: { 200: AuthResult, ...errorResponses(400, 401, 413, 415, 429) },
      },
    },
    async (request) => accounts.login(request.body, clientOf(request)),
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        tags,
        summary: 'Trade a refresh token for a new pair (the old one is spent; reusing it ends the session)',
        body: RefreshBody,
        response: { 200: TokenPair, ...errorResponses(400, 401, 413, 415, 429) },
      },
    },
    async (request) => sessions.refresh(request.body.refreshToken, clientOf(request)),
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags,
        summary: 'End the session a refresh token belongs to',
        body: RefreshBody,
        response: { 204: Type.Null({ description: 'Logged out' }), ...errorResponses(400, 413, 415) },
      },
    },
    async (request, reply) => {
      await sessions.logout(request.body.refreshToken);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      schema: {
        tags,
        summary: 'My account',
        security: bearerAuth,
        response: { 200: Me, ...errorResponses(401) },
      },
    },
    async (request) => accounts.getMe(requireViewer(request).userId),
  );

  app.patch(
    '/me',
    {
      schema: {
        tags,
        summary: 'Edit my profile',
        security: bearerAuth,
        body: UpdateMeBody,
        response: { 200: Me, ...errorResponses(400, 401, 404, 409, 413, 415) },
      },
    },
    async (request) => accounts.updateMe(requireViewer(request).userId, request.body),
  );

  app.post(
    '/me/password',
    {
      schema: {
        tags,
        summary: 'Change my password; every other session ends',
        security: bearerAuth,
        body: ChangePasswordBody,
        response: {
          204: Type.Null({ description: 'Changed' }),
          ...errorResponses(400, 401, 403, 413, 415, 429),
        },
      },
    },
    async (request, reply) => {
      const viewer = requireViewer(request);
      await accounts.changePassword(viewer.userId, viewer.sessionId, request.body);
      return reply.code(204).send(null);
    },
  );
}

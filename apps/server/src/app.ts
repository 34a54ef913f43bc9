import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { accountsRoutes } from './accounts/accounts.routes.js';
import { installAuthentication } from './http/auth.js';
import { installErrorHandling } from './http/error-handler.js';
import { healthRoutes, type DependencyCheck } from './http/health.routes.js';
import type { App } from './http/types.js';
import { installRequestLifecycle } from './http/lifecycle.js';
import { installOpenApi } from './http/openapi.js';
import { installSecurityHeaders } from './http/security.js';
import { validatorCompiler } from './http/validation.js';
import { serveWebApp } from './http/web.js';
import { deliveryRoutes } from './media/delivery.routes.js';
import { localUploadRoutes } from './media/local-upload.routes.js';
import { mediaRoutes } from './media/media.routes.js';
import { graphRoutes } from './graph/graph.routes.js';
import { inboxRoutes } from './graph/inbox.routes.js';
import { postsRoutes } from './posts/posts.routes.js';
import { feedRoutes } from './feed/feed.routes.js';
import { notificationsRoutes } from './notifications/notifications.routes.js';
import { searchRoutes } from './search/search.routes.js';
import { commentsRoutes } from './engagement/comments.routes.js';
import { engagementRoutes } from './engagement/engagement.routes.js';
import type { Metrics } from './observability/metrics.js';
import type { Services } from './wiring.js';

export interface AppDeps {
  readonly log: FastifyBaseLogger;
  readonly metrics: Metrics;
  readonly publicUrl: string;
  readonly mediaBaseUrl: string;
  /** The object store's origin when browsers upload straight to it (S3 shape); null otherwise. */
  readonly uploadOrigin?: string | null;
  readonly trustProxy: boolean | string;
  readonly dependencies: readonly DependencyCheck[];
  /** Absent in an operations-only server (a worker or relay process): no API routes then. */
  readonly services?: Services;
  /** The built web app (apps/web/dist), served at `/` when present. */
  readonly webRoot?: string;
}

/** JSON bodies are small; photos never pass through here (they go straight to object storage). */
const BODY_LIMIT = 256 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export async function buildApp(deps: AppDeps): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.log,
    // One log line per request, written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    // Response schemas use the contract's `id` format; the serializer only needs to know it exists.
    serializerOpts: { ajv: { formats: { id: true } } },
    bodyLimit: BODY_LIMIT,
    trustProxy: deps.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // JSON only (API.md): a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  const serveWeb = deps.webRoot !== undefined && existsSync(deps.webRoot);
  installErrorHandling(app, { spaShell: serveWeb });
  installRequestLifecycle(app, deps.metrics);
  await installSecurityHeaders(app, deps);
  await installOpenApi(app, deps.publicUrl);

  healthRoutes(app, { dependencies: deps.dependencies, metrics: deps.metrics });

  const services = deps.services;
  if (services) {
    await app.register(
      async (api) => {
        const typed = api.withTypeProvider<TypeBoxTypeProvider>();
        installAuthentication(typed, services.sessions);
        await typed.register(multipart, { throwFileSizeLimit: true });
        // Answers can carry tokens and private data: no cache may keep them.
        typed.addHook('onSend', async (_request, reply) => {
          void reply.header('cache-control', 'no-store');
        });
        accountsRoutes(typed, services);
        mediaRoutes(typed, services);
        graphRoutes(typed, services);
        inboxRoutes(typed, services);
        postsRoutes(typed, services);
        feedRoutes(typed, services);
        notificationsRoutes(typed, services);
        searchRoutes(typed, services);
        engagementRoutes(typed, services);
        commentsRoutes(typed, services);
      },
      { prefix: '/api/v1' },
    );
    deliveryRoutes(app, services);
    if (services.localUploads) await localUploadRoutes(app, services.localUploads);
  }

  if (serveWeb) await serveWebApp(app, deps.webRoot!);

  return app as unknown as App;
}

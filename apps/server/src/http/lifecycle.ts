import type { Metrics } from '../observability/metrics.js';
import type { App } from './types.js';
import { bodySchemaOf, trimStrings } from './validation.js';

/**
 * What happens around every request: the request id goes back to the client, marked strings
 * are trimmed before validation, and each answer is counted, timed and logged in one line.
 */
/** How often idle keep-alive sockets are closed while the server drains. */
const IDLE_SWEEP_MS = 100;

export function installRequestLifecycle(app: App, metrics: Metrics): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  // Graceful shutdown: requests already running finish, and their keep-alive connections are
  // closed with them, so server.close() is not left waiting for idle sockets to time out
  // (Fastify keeps them 72 s). A response whose headers went out before closing began cannot
  // say `connection: close` any more: its socket turns idle afterwards, so idle sockets are
  // swept until the server has closed (this once held a SIGTERM for the whole grace period).
  let closing = false;
  let sweep: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    closing = true;
    sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
    sweep.unref();
  });
  app.addHook('onClose', async () => clearInterval(sweep));
  app.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close');
  });

  app.addHook('preValidation', async (request) => {
    const schema = bodySchemaOf(request.routeOptions.schema);
    if (schema && request.body !== undefined) request.body = trimStrings(schema, request.body);
  });

  app.addHook('onResponse', async (request, reply) => {
    // Route templates, never raw paths: label values stay bounded.
    const route = request.routeOptions.url ?? '(unmatched)';
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    request.log.info(
      {
        method: request.method,
        route,
        url: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
}

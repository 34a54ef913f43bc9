import { Type } from 'typebox';
import { ErrorBody } from '@glimpse/contract';
import type { Metrics } from '../observability/metrics.js';
import { sendError } from './error-handler.js';
import type { App } from './types.js';

export interface DependencyCheck {
  readonly name: string;
  readonly check: () => Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function probe(dep: DependencyCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      dep.check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS))),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness, readiness (every configured dependency answers) and Prometheus metrics. */
export function healthRoutes(
  app: App,
  options: { dependencies: readonly DependencyCheck[]; metrics: Metrics },
) {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'The process is alive',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Every configured dependency answers (503 names the ones that do not)',
        response: {
          200: Type.Object({
            status: Type.Literal('ready'),
            dependencies: Type.Record(Type.String(), Type.String()),
          }),
          503: ErrorBody,
        },
      },
    },
    async (_request, reply) => {
      const results = await Promise.all(
        options.dependencies.map(async (d) => [d.name, await probe(d)] as const),
      );
      const down = results.filter(([, up]) => !up).map(([name]) => name);
      const dependencies = Object.fromEntries(results.map(([name, up]) => [name, up ? 'up' : 'down']));
      if (down.length === 0) return { status: 'ready' as const, dependencies };
      return sendError(reply, {
        status: 503,
        code: 'dependency_down',
        message: `Not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not answering.`,
        details: { dependencies },
        headers: { 'Retry-After': '5' },
      });
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)' } },
    async (_request, reply) => {
      const body = await options.metrics.registry.metrics();
      return reply.type(options.metrics.registry.contentType).send(body);
    },
  );
}

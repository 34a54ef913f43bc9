import { Compile } from 'typebox/compile';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import { PoisonMessageError, type Delivery, type JobQueue } from '../ports/job-queue.js';
import { jobs, topics, type JobName, type JobPayload, type Topic } from './catalogue.js';

export type JobHandler<J extends JobName> = (
  payload: JobPayload<J>,
  delivery: Omit<Delivery, 'payload'>,
) => Promise<void>;

/** Exactly one handler per job: the type demands it, and startWorkers checks it again at run time. */
export type JobHandlers = { [J in JobName]: JobHandler<J> };

const validators = new Map(Object.entries(topics).map(([topic, schema]) => [topic, Compile(schema)]));

export class MissingHandlerError extends Error {
  override readonly name = 'MissingHandlerError';
}

/** Fails start-up when the catalogue and the handlers disagree. */
export function assertHandlersComplete(handlers: Partial<Record<string, unknown>>): void {
  const missing = Object.keys(jobs).filter((j) => typeof handlers[j] !== 'function');
  const unknown = Object.keys(handlers).filter((h) => !(h in jobs));
  if (missing.length > 0 || unknown.length > 0) {
    throw new MissingHandlerError(
      [
        missing.length ? `jobs without a handler: ${missing.join(', ')}` : '',
        unknown.length ? `handlers for jobs not in the catalogue: ${unknown.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    );
  }
}

/**
 * Subscribes every job in the catalogue. A payload that does not match its topic's schema can
 * never succeed, so it goes straight to the dead-letter queue with the reason.
 */
export function startWorkers(queue: JobQueue, handlers: JobHandlers, log: Logger, metrics: Metrics): void {
  assertHandlersComplete(handlers);
  for (const name of Object.keys(jobs) as JobName[]) {
    const job = jobs[name];
    const handler = handlers[name] as JobHandler<JobName>;
    queue.consume(
      name,
      async (delivery) => {
        const validator = validators.get(delivery.topic);
        const started = performance.now();
        try {
          if (!validator || !(job.topics as readonly Topic[]).includes(delivery.topic as Topic)) {
            throw new PoisonMessageError(`job ${name} does not take topic ${delivery.topic}`);
          }
          if (!validator.Check(delivery.payload)) {
            const first = validator.Errors(delivery.payload)[0];
            throw new PoisonMessageError(
              `invalid ${delivery.topic} payload: ${first ? `${first.instancePath || '/'} ${first.message}` : 'rejected'}`,
            );
          }
          await handler(delivery.payload as JobPayload<JobName>, delivery);
          metrics.jobs.inc({ queue: name, outcome: 'done' });
        } catch (err) {
          const outcome =
            err instanceof PoisonMessageError || delivery.attempt >= job.maxAttempts ? 'dead' : 'retry';
          metrics.jobs.inc({ queue: name, outcome });
          throw err;
        } finally {
          metrics.jobDuration.observe({ queue: name }, (performance.now() - started) / 1000);
        }
      },
      { concurrency: job.concurrency, maxAttempts: job.maxAttempts, timeoutMs: job.timeoutMs },
    );
    log.debug({ job: name }, 'consuming');
  }
}

import type { Logger } from 'pino';
import type { Executor } from '../db/executor.js';
import { allows } from '../graph/visibility.js';
import type { JobHandler } from '../jobs/runner.js';
import { PoisonMessageError } from '../ports/job-queue.js';
import type { NotificationBus } from '../ports/notification-bus.js';
import { gateFacts, insertNotifications, type GateFacts } from './notifications.repo.js';
import { candidatesFor, isSourceTopic, type Candidate } from './sources.js';

/**
 * Outbox events → notifications. Re-reads the current state (sources.ts), lets through only what
 * the recipient may hear about, inserts idempotently, and only then tells live streams: the
 * insert has committed, so a stream in another process finds the row when it looks it up.
 */
export function createNotificationsJob(deps: {
  db: Executor;
  bus: NotificationBus;
  log: Logger;
}): JobHandler<'notifications.create'> {
  const { db, bus, log } = deps;
  return async (payload, { topic }) => {
    if (!isSourceTopic(topic)) throw new PoisonMessageError(`notifications do not come from ${topic}`);
    const candidates = (await candidatesFor(db, topic, payload as never)).filter(
      (c) => c.recipientId !== c.actorId,
    );
    const allowed = await gate(db, candidates);
    const created = await insertNotifications(db, allowed);
    if (created.length === 0) return;
    // Not retried: the rows exist, so a retry would insert nothing and publish nothing. A lost
    // event shows up on the next list read or Last-Event-ID reconnect instead of live.
    await bus
      .publish(created.map((n) => ({ id: n.id, recipientId: n.recipient_id })))
      .catch((err: unknown) => log.warn({ err, count: created.length }, 'could not publish notifications'));
  };
}

/**
 * Never from someone the recipient blocks or mutes or who blocks them, never about a post the
 * recipient may not see. Both questions go to the one policy (visibility.ts).
 */
async function gate(db: Executor, candidates: readonly Candidate[]): Promise<Candidate[]> {
  const facts = await gateFacts(
    db,
    candidates.map((c) => ({ recipient: c.recipientId, actor: c.actorId, owner: c.postOwner })),
  );
  return candidates.filter((c, i) => admits(c, facts[i]!));
}

function admits(candidate: Candidate, facts: GateFacts): boolean {
  const actorVisible = allows('profile', {
    isOwner: false,
    ownerPublic: true,
    followsOwner: false,
    ownerBlocksViewer: facts.actorBlocksRecipient,
    viewerBlocksOwner: facts.recipientBlocksActor,
  });
  if (!actorVisible || facts.recipientMutesActor) return false;
  if (candidate.postOwner === null) return true;
  const owner = facts.owner;
  if (!owner) return false;
  return allows('content', {
    isOwner: owner.id === candidate.recipientId,
    ownerPublic: !owner.isPrivate,
    followsOwner: owner.recipientFollows,
    ownerBlocksViewer: owner.ownerBlocksRecipient,
    viewerBlocksOwner: owner.recipientBlocksOwner,
  });
}

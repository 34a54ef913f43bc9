import type { Notification, NotificationsPage } from '@glimpse/contract';
import type { Executor } from '../db/executor.js';
import { decodeCursor, paginate } from '../lib/cursor.js';
import type { NotificationHydrator } from './hydrate.js';
import * as repo from './notifications.repo.js';

/** A reconnecting stream replays at most this many missed notifications (oldest first). */
export const REPLAY_MAX = 100;

/**
 * A user's notifications: the list with its unread count, the read marker, and single lookups
 * for live streams. Everything is read for the recipient through the policy (repo.shownTo):
 * someone they have blocked, muted or been blocked by since, or a post they can no longer see,
 * disappears from the list as it would from everywhere else.
 */
export class NotificationsService {
  constructor(
    private readonly db: Executor,
    private readonly hydrator: NotificationHydrator,
  ) {}

  async list(viewer: string, page: { limit: number; cursor?: string }): Promise<NotificationsPage> {
    const before = decodeCursor(page.cursor);
    const [rows, state] = await Promise.all([
      repo.pageFor(this.db, viewer, { before, limit: page.limit }),
      repo.readState(this.db, viewer),
    ]);
    const { page: shown, nextCursor } = paginate(rows, page.limit, (r) => r.id);
    return {
      notifications: await this.hydrator.hydrate(viewer, shown, state.marker),
      unreadCount: state.unread,
      nextCursor,
    };
  }

  async markRead(viewer: string, upTo: string): Promise<void> {
    await repo.markRead(this.db, viewer, upTo);
  }

  /** Live events: the notifications with these ids, if the viewer may still see them. */
  async byIds(viewer: string, ids: readonly string[]): Promise<Notification[]> {
    return this.#oldestFirst(viewer, await repo.rowsFor(this.db, viewer, { ids }));
  }

  /** A reconnect's replay: what came after the last event the client saw. */
  async after(viewer: string, lastSeen: string): Promise<Notification[]> {
    return this.#oldestFirst(
      viewer,
      await repo.rowsFor(this.db, viewer, { after: lastSeen, limit: REPLAY_MAX }),
    );
  }

  async #oldestFirst(viewer: string, rows: repo.NotificationRow[]): Promise<Notification[]> {
    if (rows.length === 0) return [];
    return this.hydrator.hydrate(viewer, rows, await repo.readMarker(this.db, viewer));
  }
}

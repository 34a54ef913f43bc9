import type { Logger } from 'pino';
import type { SessionService } from '../accounts/sessions.service.js';
import type { Executor } from '../db/executor.js';
import { CommentReader } from '../engagement/comment-view.js';
import type { UserDirectory } from '../graph/user-directory.js';
import type { NotificationBus } from '../ports/notification-bus.js';
import type { PostHydrator } from '../posts/hydrate.js';
import { NotificationHydrator } from './hydrate.js';
import type { NotificationServices } from './notifications.routes.js';
import { NotificationsService } from './notifications.service.js';
import { NotificationStreams } from './stream.js';

/** The API side of notifications: the list and read marker, and this process's open streams. */
export function createNotifications(deps: {
  db: Executor;
  users: UserDirectory;
  posts: PostHydrator;
  bus: NotificationBus;
  sessions: SessionService;
  heartbeatMs: number;
  log: Logger;
}): NotificationServices {
  const hydrator = new NotificationHydrator(
    deps.db,
    deps.users,
    deps.posts,
    new CommentReader(deps.db, deps.users),
  );
  const service = new NotificationsService(deps.db, hydrator);
  const streams = new NotificationStreams({
    bus: deps.bus,
    notifications: service,
    authenticate: (token) => deps.sessions.authenticate(token),
    heartbeatMs: deps.heartbeatMs,
    log: deps.log,
  });
  return { service, streams };
}

import { Type, type Static } from 'typebox';
import { Id, Timestamp } from './common.js';
import { Comment } from './engagement.js';
import { Post } from './posts.js';
import { User } from './users.js';
import { UNREAD_COUNT_CAP } from './limits.js';

export const NotificationType = Type.Union([
  Type.Literal('like'),
  Type.Literal('comment'),
  Type.Literal('follow'),
  Type.Literal('follow_request'),
  Type.Literal('follow_accepted'),
  Type.Literal('mention'),
]);
export type NotificationType = Static<typeof NotificationType>;

export const Notification = Type.Object(
  {
    id: Id,
    type: NotificationType,
    actor: User,
    post: Type.Union([Post, Type.Null()], { description: 'like, comment, mention' }),
    comment: Type.Union([Comment, Type.Null()], { description: 'comment, and mention in a comment' }),
    read: Type.Boolean({ description: 'at or below the read marker (POST /notifications/read)' }),
    createdAt: Timestamp,
  },
  { title: 'Notification' },
);
export type Notification = Static<typeof Notification>;

export const NotificationsPage = Type.Object({
  notifications: Type.Array(Notification),
  unreadCount: Type.Integer({
    minimum: 0,
    maximum: UNREAD_COUNT_CAP,
    description: `exact up to ${UNREAD_COUNT_CAP}, then ${UNREAD_COUNT_CAP}`,
  }),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type NotificationsPage = Static<typeof NotificationsPage>;

export const MarkReadBody = Type.Object(
  { upTo: Type.String({ format: 'id', description: 'the newest notification id the user has seen' }) },
  { additionalProperties: false },
);
export type MarkReadBody = Static<typeof MarkReadBody>;

/**
 * The stream also takes the access token as a query parameter, because a browser's EventSource
 * cannot set an Authorization header (docs/notifications.md explains the trade-off).
 */
export const NotificationStreamQuery = Type.Object(
  { access_token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })) },
  { additionalProperties: false },
);
export type NotificationStreamQuery = Static<typeof NotificationStreamQuery>;

import { Type, type Static } from 'typebox';
import { Id, Text, Timestamp } from './common.js';
import { User } from './users.js';
import { COMMENT_MAX } from './limits.js';

export const Comment = Type.Object(
  {
    id: Id,
    postId: Id,
    author: User,
    body: Type.String(),
    createdAt: Timestamp,
  },
  { title: 'Comment' },
);
export type Comment = Static<typeof Comment>;

export const CommentsPage = Type.Object({
  comments: Type.Array(Comment),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type CommentsPage = Static<typeof CommentsPage>;

export const CreateCommentBody = Type.Object(
  { body: Text({ minLength: 1, maxLength: COMMENT_MAX, description: '@mentions are parsed' }) },
  { additionalProperties: false },
);
export type CreateCommentBody = Static<typeof CreateCommentBody>;

export const CommentIdParams = Type.Object({ id: Id }, { additionalProperties: false });

/** The answer of POST and DELETE /posts/{id}/like. */
export const LikeState = Type.Object(
  { likeCount: Type.Integer({ minimum: 0 }), likedByMe: Type.Boolean() },
  { title: 'LikeState' },
);
export type LikeState = Static<typeof LikeState>;

/** The answer of POST and DELETE /posts/{id}/save. */
export const SaveState = Type.Object({ savedByMe: Type.Boolean() }, { title: 'SaveState' });
export type SaveState = Static<typeof SaveState>;

import { Type, type Static } from 'typebox';
import { Id, PageQuery, Text, Timestamp } from './common.js';
import { MediaRef } from './media.js';
import { User } from './users.js';
import { CAPTION_MAX, ALT_TEXT_MAX, LOCATION_MAX, MEDIA_PER_POST_MAX } from './limits.js';

export const PostStatus = Type.Union([
  Type.Literal('processing'),
  Type.Literal('published'),
  Type.Literal('failed'),
]);

export const Post = Type.Object(
  {
    id: Id,
    author: User,
    media: Type.Array(MediaRef),
    caption: Type.String(),
    location: Type.Union([Type.String(), Type.Null()]),
    hashtags: Type.Array(Type.String()),
    mentions: Type.Array(Type.String(), { description: 'usernames' }),
    status: PostStatus,
    error: Type.Union([Type.Object({ code: Type.String() }), Type.Null()], {
      description: 'why a post failed',
    }),
    likeCount: Type.Integer(),
    commentCount: Type.Integer(),
    likedByMe: Type.Boolean(),
    savedByMe: Type.Boolean(),
    createdAt: Timestamp,
    editedAt: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'Post' },
);
export type Post = Static<typeof Post>;

export const CreatePostBody = Type.Object(
  {
    mediaIds: Type.Array(Id, { minItems: 1, maxItems: MEDIA_PER_POST_MAX, description: 'in display order' }),
    altTexts: Type.Optional(
      Type.Array(Text({ maxLength: ALT_TEXT_MAX }), {
        maxItems: MEDIA_PER_POST_MAX,
        description: 'one per media item, same order',
      }),
    ),
    caption: Type.Optional(Text({ maxLength: CAPTION_MAX })),
    location: Type.Optional(Text({ maxLength: LOCATION_MAX })),
  },
  { additionalProperties: false },
);
export type CreatePostBody = Static<typeof CreatePostBody>;

export const UpdatePostBody = Type.Object(
  {
    caption: Type.Optional(Text({ maxLength: CAPTION_MAX })),
    location: Type.Optional(Type.Union([Type.Null(), Text({ maxLength: LOCATION_MAX })])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdatePostBody = Static<typeof UpdatePostBody>;

export const PostsPage = Type.Object({
  posts: Type.Array(Post),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type PostsPage = Static<typeof PostsPage>;

export const PostIdParams = Type.Object({ id: Id }, { additionalProperties: false });
export { PageQuery };

import { Type, type Static } from 'typebox';
import { PageQuery, Text } from './common.js';
import { Post } from './posts.js';
import { User } from './users.js';
import { SEARCH_QUERY_MAX, HASHTAG_NAME_MAX, TRENDING_MAX } from './limits.js';

export const SearchType = Type.Union(
  [Type.Literal('users'), Type.Literal('hashtags'), Type.Literal('posts')],
  {
    description: 'what to search: accounts, hashtags, or post captions',
  },
);
export type SearchType = Static<typeof SearchType>;

export const SearchQuery = Type.Object(
  {
    q: Text({
      minLength: 1,
      maxLength: SEARCH_QUERY_MAX,
      description: 'trimmed; a leading # (hashtags) or @ (users) is ignored',
    }),
    type: SearchType,
    limit: PageQuery.properties.limit,
    cursor: PageQuery.properties.cursor,
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

export const HashtagCount = Type.Object(
  {
    name: Type.String({ description: 'normalised: NFKC, lower-case, without the #' }),
    postCount: Type.Integer({ minimum: 0 }),
  },
  { title: 'HashtagCount' },
);
export type HashtagCount = Static<typeof HashtagCount>;

/** Only the key of the searched type is present. */
export const SearchPage = Type.Object({
  users: Type.Optional(Type.Array(User)),
  hashtags: Type.Optional(Type.Array(HashtagCount)),
  posts: Type.Optional(Type.Array(Post)),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type SearchPage = Static<typeof SearchPage>;

export const HashtagNameParams = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: HASHTAG_NAME_MAX,
      // As captions define tags: letters, marks, digits and underscores, not digits only.
      pattern: '^(?![0-9]+$)[\\p{L}\\p{M}\\p{N}_]+$',
      description: 'a hashtag without the # (letters, digits, underscores; not only digits)',
    }),
  },
  { additionalProperties: false },
);
export type HashtagNameParams = Static<typeof HashtagNameParams>;

export const TrendingQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: TRENDING_MAX, default: 10 })) },
  { additionalProperties: false },
);
export type TrendingQuery = Static<typeof TrendingQuery>;

export const TrendingPage = Type.Object({
  hashtags: Type.Array(HashtagCount, {
    description: 'rising tags, most first; postCount counts public posts in the window',
  }),
});
export type TrendingPage = Static<typeof TrendingPage>;

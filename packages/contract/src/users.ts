import { Type, type Static } from 'typebox';
import { Id, Text, Timestamp } from './common.js';
import { MediaRef } from './media.js';
import { USERNAME_PATTERN, DISPLAY_NAME_MAX, BIO_MAX } from './limits.js';

export const Username = Text({
  minLength: 1,
  maxLength: 30,
  pattern: USERNAME_PATTERN,
  description: 'letters, digits, dots and underscores',
});

export const Relationship = Type.Object({
  following: Type.Boolean(),
  followedBy: Type.Boolean(),
  requested: Type.Boolean(),
  blocking: Type.Boolean(),
  muting: Type.Boolean(),
});
export type Relationship = Static<typeof Relationship>;

const userFields = {
  id: Id,
  username: Type.String(),
  displayName: Type.String(),
  bio: Type.String(),
  avatar: Type.Union([MediaRef, Type.Null()]),
  isPrivate: Type.Boolean(),
  postCount: Type.Integer(),
  followerCount: Type.Integer(),
  followingCount: Type.Integer(),
  createdAt: Timestamp,
};

export const User = Type.Object(
  { ...userFields, relationship: Type.Optional(Relationship) },
  { title: 'User' },
);
export type User = Static<typeof User>;

export const Me = Type.Object({ ...userFields, email: Type.String() }, { title: 'Me' });
export type Me = Static<typeof Me>;

export const UpdateMeBody = Type.Object(
  {
    displayName: Type.Optional(
      Text({ maxLength: DISPLAY_NAME_MAX, pattern: '^[^\\p{Cc}]*$', description: 'no control characters' }),
    ),
    bio: Type.Optional(
      Text({ maxLength: BIO_MAX, pattern: '^(?:[^\\p{Cc}]|\\n)*$', description: 'newlines allowed' }),
    ),
    isPrivate: Type.Optional(Type.Boolean()),
    avatarMediaId: Type.Optional(Type.Union([Type.Null(), Type.String({ format: 'id' })])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateMeBody = Static<typeof UpdateMeBody>;

export const UsersPage = Type.Object({
  users: Type.Array(User),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type UsersPage = Static<typeof UsersPage>;

/**
 * An account I blocked. Only what the blocker already knows: a block hides profile details both
 * ways, so this is not a User.
 */
export const BlockedAccount = Type.Object(
  { id: Id, username: Type.String(), blockedAt: Timestamp },
  { title: 'BlockedAccount' },
);
export type BlockedAccount = Static<typeof BlockedAccount>;

export const BlocksPage = Type.Object({
  accounts: Type.Array(BlockedAccount),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type BlocksPage = Static<typeof BlocksPage>;

export const UserIdParams = Type.Object(
  { id: Type.String({ format: 'id' }) },
  { additionalProperties: false },
);

export const LookupQuery = Type.Object(
  {
    username: Text({
      minLength: 1,
      maxLength: 30,
      pattern: USERNAME_PATTERN,
      description: 'letters, digits, dots and underscores',
    }),
  },
  { additionalProperties: false },
);

export const FollowStatus = Type.Object({
  status: Type.Union([Type.Literal('following'), Type.Literal('requested'), Type.Literal('none')]),
});
export type FollowStatus = Static<typeof FollowStatus>;

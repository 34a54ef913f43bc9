import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { ID_EPOCH_MS, SEQUENCE_BITS, SHARD_BITS, SHARD_COUNT } from '../../apps/server/src/lib/ids.js';

/**
 * Who the users are and what they posted, in memory, as typed arrays (a million users and ten
 * million posts fit in a few hundred MB). Times run from the id epoch to now: users join in
 * index order, posts are spread over the last POST_DAYS days, and active users (the share who
 * read their feed lately) posted within ACTIVE_POST_DAYS of now.
 */

const DAY_MS = 86_400_000;
/** Users join from the id epoch until this long before now. */
const JOINED_BEFORE_DAYS = 30;
/** How far back posts go. Invariant: below JOINED_BEFORE_DAYS, so nobody posts before joining. */
const POST_DAYS = 28;
/** Active users' posts are this recent. */
const ACTIVE_POST_DAYS = 3;
/** Share of posts that are carousels, and their size. */
const CAROUSEL_SHARE = 0.1;
const CAROUSEL_MAX = 3;

export interface ContentOptions {
  readonly users: number;
  readonly postsPerUser: number;
  readonly activeShare: number;
  readonly privateShare: number;
  readonly now: number;
}

export interface Users {
  readonly ids: BigInt64Array;
  readonly joinedAt: Float64Array;
  readonly active: Uint8Array;
  readonly isPrivate: Uint8Array;
}

export interface Posts {
  /** Sorted by id (so by time): post i was written at `at[i]` by user index `author[i]`. */
  readonly ids: BigInt64Array;
  readonly author: Int32Array;
  readonly at: Float64Array;
  /** Photos in each post (1, or 2..CAROUSEL_MAX for a carousel). */
  readonly photos: Uint8Array;
  readonly perAuthor: Int32Array;
}

/** An id as next_id() mints it: | ms since epoch | shard | sequence |. */
export function mintId(atMs: number, shard: number, sequence: number): bigint {
  return (
    (BigInt(Math.floor(atMs) - ID_EPOCH_MS) << BigInt(SHARD_BITS + SEQUENCE_BITS)) |
    (BigInt(shard & (SHARD_COUNT - 1)) << BigInt(SEQUENCE_BITS)) |
    BigInt(sequence & ((1 << SEQUENCE_BITS) - 1))
  );
}

/** shard_of() in migrations/0001_foundation.sql: posts and media live in their author's shard. */
export function shardOf(id: bigint): number {
  return Number((id >> BigInt(SEQUENCE_BITS)) & BigInt(SHARD_COUNT - 1));
}

export function generateUsers(options: ContentOptions, rng: RandomGenerator): Users {
  const { users, now } = options;
  const start = ID_EPOCH_MS + DAY_MS;
  const span = now - JOINED_BEFORE_DAYS * DAY_MS - start;
  const ids = new BigInt64Array(users);
  const joinedAt = new Float64Array(users);
  const active = new Uint8Array(users);
  const isPrivate = new Uint8Array(users);
  for (let u = 0; u < users; u++) {
    // Users join at least a millisecond apart, so ids are unique by time alone.
    joinedAt[u] = Math.floor(start + (span * u) / users);
    ids[u] = mintId(joinedAt[u]!, u, u >> SHARD_BITS);
    active[u] = uniformFloat64(rng) < options.activeShare ? 1 : 0;
    isPrivate[u] = uniformFloat64(rng) < options.privateShare ? 1 : 0;
  }
  return { ids, joinedAt, active, isPrivate };
}

export function generatePosts(options: ContentOptions, users: Users, rng: RandomGenerator): Posts {
  const { now } = options;
  const random = () => uniformFloat64(rng);
  const perAuthor = new Int32Array(options.users);
  let total = 0;
  for (let u = 0; u < options.users; u++) {
    // Exponential around the mean: many people post rarely, a few a lot.
    perAuthor[u] = Math.min(1_000, Math.round(-options.postsPerUser * Math.log(1 - random())));
    total += perAuthor[u]!;
  }
  const draft = { author: new Int32Array(total), at: new Float64Array(total) };
  for (let u = 0, i = 0; u < options.users; u++) {
    const days = users.active[u] ? ACTIVE_POST_DAYS : POST_DAYS;
    for (let k = 0; k < perAuthor[u]!; k++, i++) {
      draft.author[i] = u;
      draft.at[i] = Math.floor(now - 60_000 - random() * days * DAY_MS);
    }
  }
  // Time order, then one distinct millisecond per post: ids are then unique by time alone.
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => draft.at[a]! - draft.at[b]!);
  const ids = new BigInt64Array(total);
  const author = new Int32Array(total);
  const at = new Float64Array(total);
  const photos = new Uint8Array(total);
  for (let i = 0; i < total; i++) {
    const from = order[i]!;
    at[i] = i > 0 && draft.at[from]! <= at[i - 1]! ? at[i - 1]! + 1 : draft.at[from]!;
    author[i] = draft.author[from]!;
    ids[i] = mintId(at[i]!, shardOf(users.ids[author[i]!]!), 0);
    photos[i] = random() < CAROUSEL_SHARE ? 2 + Math.floor(random() * (CAROUSEL_MAX - 1)) : 1;
  }
  return { ids, author, at, photos, perAuthor };
}

const WORDS = [
  'sunset',
  'coffee',
  'travel',
  'family',
  'mountains',
  'beach',
  'city',
  'food',
  'friends',
  'dog',
  'cat',
  'garden',
  'art',
  'music',
  'weekend',
  'autumn',
  'winter',
  'spring',
  'summer',
  'street',
  'portrait',
  'nature',
  'running',
  'books',
  'baking',
  'design',
  'film',
  'night',
  'rain',
  'sea',
];
/** Hashtag vocabulary: the words, then word + number, a few hundred in all. */
export const HASHTAGS = [
  ...WORDS,
  ...WORDS.flatMap((w) => [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `${w}${n}`)),
];

/**
 * The caption of post i and the hashtags it carries: half the posts carry one or two, drawn
 * with a Zipf-like skew so that a few tags are everywhere and most are rare.
 */
export function caption(rng: RandomGenerator, authorName: string): { text: string; tags: number[] } {
  const random = () => uniformFloat64(rng);
  const tags: number[] = [];
  const count = random() < 0.5 ? 0 : random() < 0.6 ? 1 : 2;
  while (tags.length < count) {
    const t = Math.floor(HASHTAGS.length * random() ** 3);
    if (!tags.includes(t)) tags.push(t);
  }
  const words = WORDS[Math.floor(random() * WORDS.length)]!;
  return {
    text: `A day of ${words} with ${authorName}${tags.map((t) => ` #${HASHTAGS[t]}`).join('')}`,
    tags,
  };
}

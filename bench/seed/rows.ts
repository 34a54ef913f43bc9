import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { caption, mintId, shardOf, type Posts, type Users } from './content.js';
import type { Graph } from './graph.js';
import { copyValue as v } from './load.js';

/** COPY lines for each table, generated lazily: the loader streams them, nothing is held twice. */

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Perlman',
  'Lee',
];
const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const line = (values: (string | number | bigint | boolean | null)[]) => `${values.map(v).join('\t')}\n`;

export const username = (u: number) => `u${u + 1}`;

/** Following lists as CSR: follows of user u are followee[offsets[u] .. offsets[u + 1]), ascending. */
export interface Adjacency {
  readonly offsets: Int32Array;
  readonly followee: Int32Array;
}

export function adjacency(graph: Graph): Adjacency {
  const offsets = new Int32Array(graph.users + 1);
  for (let u = 0; u < graph.users; u++) offsets[u + 1] = offsets[u]! + graph.following[u]!;
  const next = offsets.slice(0, graph.users);
  const followee = new Int32Array(graph.follower.length);
  for (let e = 0; e < graph.follower.length; e++) followee[next[graph.follower[e]!]!++] = graph.followee[e]!;
  for (let u = 0; u < graph.users; u++) followee.subarray(offsets[u]!, offsets[u + 1]!).sort();
  return { offsets, followee };
}

export const USER_COLUMNS = [
  'id',
  'username',
  'email',
  'password_hash',
  'display_name',
  'bio',
  'is_private',
  'post_count',
  'follower_count',
  'following_count',
  'created_at',
  'updated_at',
  'feed_read_at',
  'feed_mode',
];

export function* userRows(
  users: Users,
  graph: Graph,
  posts: Posts,
  context: { passwordHash: string; pull: Uint8Array; activeDays: number; now: number; rng: RandomGenerator },
): Generator<string> {
  const { rng, now } = context;
  for (let u = 0; u < graph.users; u++) {
    const name = `${FIRST[u % FIRST.length]} ${LAST[Math.floor(u / FIRST.length) % LAST.length]}`;
    // Active readers opened the feed in the last 12 hours; the others longer ago than
    // FEED_ACTIVE_DAYS, so their first read rebuilds their timeline (as it would in production).
    const readAt = users.active[u]
      ? now - uniformFloat64(rng) * DAY_MS * 0.5
      : now - (context.activeDays + 1 + uniformFloat64(rng) * 30) * DAY_MS;
    yield line([
      users.ids[u]!,
      username(u),
      `${username(u)}@seed.glimpse.test`,
      context.passwordHash,
      name,
      u % 3 === 0 ? `Photos by ${name.split(' ')[0]}` : '',
      users.isPrivate[u] === 1,
      posts.perAuthor[u]!,
      graph.followers[u]!,
      graph.following[u]!,
      iso(users.joinedAt[u]!),
      iso(users.joinedAt[u]!),
      iso(readAt),
      context.pull[u] ? 'pull' : 'push',
    ]);
  }
}

export const FOLLOW_COLUMNS = ['follower_id', 'followee_id', 'id', 'state', 'created_at'];

/** Follows in primary-key order, so the key's index grows at its right edge. */
export function* followRows(users: Users, adj: Adjacency): Generator<string> {
  for (let u = 0; u < users.ids.length; u++) {
    const follower = users.ids[u]!;
    const shard = shardOf(follower);
    for (let e = adj.offsets[u]!, k = 0; e < adj.offsets[u + 1]!; e++, k++) {
      // A follow is made after its follower joined, one millisecond apart: unique ids by time.
      const at = users.joinedAt[u]! + 1 + k;
      yield `${follower}\t${users.ids[adj.followee[e]!]!}\t${mintId(at, shard, k)}\taccepted\t${iso(at)}\n`;
    }
  }
}

export const POST_COLUMNS = ['id', 'author_id', 'caption', 'status', 'created_at', 'published_at'];
export const POST_MEDIA_COLUMNS = ['post_id', 'position', 'media_id', 'alt_text'];
export const POST_HASHTAG_COLUMNS = ['post_id', 'hashtag_id'];

/** Posts with their captions; the post_hashtags lines are collected for the next COPY. */
export function* postRows(
  users: Users,
  posts: Posts,
  context: { rng: RandomGenerator; hashtagIds: readonly string[]; tagLines: string[]; tagCounts: Int32Array },
): Generator<string> {
  for (let i = 0; i < posts.ids.length; i++) {
    const author = posts.author[i]!;
    const { text, tags } = caption(context.rng, username(author));
    for (const t of tags) {
      context.tagLines.push(`${posts.ids[i]!}\t${context.hashtagIds[t]!}\n`);
      context.tagCounts[t]!++;
    }
    const at = iso(posts.at[i]!);
    yield line([posts.ids[i]!, users.ids[author]!, text, 'published', at, at]);
  }
}

/** A post's photo k: same millisecond and shard as the post, sequence k + 1 (the post has 0). */
export const mediaIdOf = (posts: Posts, users: Users, i: number, k: number) =>
  mintId(posts.at[i]!, shardOf(users.ids[posts.author[i]!]!), k + 1);

export function* postMediaRows(users: Users, posts: Posts): Generator<string> {
  for (let i = 0; i < posts.ids.length; i++) {
    for (let k = 0; k < posts.photos[i]!; k++) {
      yield line([posts.ids[i]!, k, mediaIdOf(posts, users, i, k), k === 0 ? null : `Photo ${k + 1}`]);
    }
  }
}

export const MEDIA_COLUMNS = [
  'id',
  'owner_id',
  'status',
  'content_type',
  'size_bytes',
  'width',
  'height',
  'blurhash',
  'dominant_color',
  'sha256',
  'phash',
  'rendition_source_id',
  'completed_at',
  'processed_at',
  'created_at',
  'updated_at',
];

export interface SourceMedia {
  readonly id: bigint;
  readonly sizeBytes: number;
  readonly width: number;
  readonly height: number;
  readonly blurhash: string;
  readonly dominantColor: string;
  readonly sha256: Buffer;
  readonly phash: string;
}

/** Every seeded photo serves the renditions of one of the few real sources (as a re-upload does). */
export function* mediaRows(users: Users, posts: Posts, sources: readonly SourceMedia[]): Generator<string> {
  for (let i = 0; i < posts.ids.length; i++) {
    const at = iso(posts.at[i]!);
    for (let k = 0; k < posts.photos[i]!; k++) {
      const s = sources[Number((posts.ids[i]! % BigInt(sources.length)) + BigInt(k)) % sources.length]!;
      yield line([
        mediaIdOf(posts, users, i, k),
        users.ids[posts.author[i]!]!,
        'ready',
        'image/jpeg',
        s.sizeBytes,
        s.width,
        s.height,
        s.blurhash,
        s.dominantColor,
        `\\x${s.sha256.toString('hex')}`,
        s.phash,
        s.id,
        at,
        at,
        at,
        at,
      ]);
    }
  }
}

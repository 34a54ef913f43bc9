/**
 * The social graph's reference model and operations, shared by the property tests
 * (visibility.property.test.ts, engagement.property.test.ts): a small model of users, follows,
 * follow requests, blocks, mutes, private accounts and posts written from docs/visibility.md —
 * independently of src/graph/visibility.ts, so that a mistake in the policy cannot hide
 * itself — and the operations that change it through the HTTP API, each with the answer the
 * model expects.
 */
import type { TestApp } from './app.js';
import type { Reply } from './client.js';
import type { FastUser } from './fast-users.js';
import { readyMedia } from './world.js';

const JSONish = (value: unknown) => JSON.stringify(value);

// The reference model, from the rules (docs/visibility.md). Users are indices 0..n-1; null is
// the anonymous viewer.

export type Viewer = number | null;
export type EdgeState = 'accepted' | 'pending';
export interface ModelPost {
  readonly id: string;
  readonly author: number;
  deleted: boolean;
}
export interface Relationship {
  following: boolean;
  followedBy: boolean;
  requested: boolean;
  blocking: boolean;
  muting: boolean;
}

export const pair = (a: number, b: number) => `${a}>${b}`;
export const newestFirst = (a: string, b: string) =>
  BigInt(a) > BigInt(b) ? -1 : BigInt(a) < BigInt(b) ? 1 : 0;

export class Model {
  readonly follows = new Map<string, EdgeState>();
  readonly blocks = new Set<string>();
  readonly mutes = new Set<string>();
  readonly posts: ModelPost[] = [];

  constructor(
    readonly n: number,
    readonly isPrivate: boolean[],
  ) {}

  edge = (a: number, b: number) => this.follows.get(pair(a, b));
  accepted = (a: number, b: number) => this.edge(a, b) === 'accepted';
  pending = (a: number, b: number) => this.edge(a, b) === 'pending';
  blocking = (a: number, b: number) => this.blocks.has(pair(a, b));
  blockedEitherWay = (a: number, b: number) => this.blocking(a, b) || this.blocking(b, a);

  users(): number[] {
    return Array.from({ length: this.n }, (_, i) => i);
  }

  /** Profile: everyone, unless a block stands between viewer and owner (either way). */
  profileVisible(viewer: Viewer, owner: number): boolean {
    return viewer === null || !this.blockedEitherWay(viewer, owner);
  }

  /** Posts and follow lists: no block either way, and owner / public / approved follower. */
  contentVisible(viewer: Viewer, owner: number): boolean {
    if (viewer === null) return !this.isPrivate[owner];
    if (this.blockedEitherWay(viewer, owner)) return false;
    return viewer === owner || !this.isPrivate[owner] || this.accepted(viewer, owner);
  }

  /** Every post here is published: deleted ones are nobody's, the others follow their author. */
  postVisible(viewer: Viewer, post: ModelPost): boolean {
    if (post.deleted) return false;
    return post.author === viewer || this.contentVisible(viewer, post.author);
  }

  counts(owner: number) {
    let followerCount = 0;
    let followingCount = 0;
    for (const [key, state] of this.follows) {
      if (state !== 'accepted') continue;
      const [a, b] = key.split('>').map(Number);
      if (b === owner) followerCount++;
      if (a === owner) followingCount++;
    }
    const postCount = this.posts.filter((p) => p.author === owner && !p.deleted).length;
    return { postCount, followerCount, followingCount };
  }

  relationship(viewer: number, owner: number): Relationship {
    return {
      following: this.accepted(viewer, owner),
      followedBy: this.accepted(owner, viewer),
      requested: this.pending(viewer, owner),
      blocking: this.blocking(viewer, owner),
      muting: this.mutes.has(pair(viewer, owner)),
    };
  }

  /** Followers or followings of `owner` as `viewer` sees them, or null for 404. */
  list(viewer: Viewer, owner: number, direction: 'followers' | 'following'): Set<number> | null {
    if (!this.contentVisible(viewer, owner)) return null;
    const out = new Set<number>();
    for (const x of this.users()) {
      const edge = direction === 'followers' ? this.accepted(x, owner) : this.accepted(owner, x);
      if (edge && (viewer === null || !this.blockedEitherWay(viewer, x))) out.add(x);
    }
    return out;
  }

  /** The author's posts as `viewer` sees them, newest (largest id) first, or null for 404. */
  postsOf(viewer: Viewer, owner: number): string[] | null {
    if (!this.contentVisible(viewer, owner)) return null;
    return this.posts
      .filter((p) => p.author === owner && !p.deleted)
      .map((p) => p.id)
      .sort(newestFirst);
  }

  /** Who waits for `owner` to answer a follow request. */
  requesters(owner: number): number[] {
    return this.users().filter((x) => this.pending(x, owner));
  }
}

/** The operations runOperation knows. */
export type SocialKind =
  | 'follow'
  | 'unfollow'
  | 'approve'
  | 'reject'
  | 'block'
  | 'unblock'
  | 'mute'
  | 'unmute'
  | 'private'
  | 'post'
  | 'delete';

/** One operation: `a` acts on `b`; `flag` and `pick` refine some kinds (see runOperation). */
export interface SocialOp {
  readonly kind: SocialKind;
  readonly a: number;
  readonly b: number;
  readonly flag: boolean;
  readonly pick: number;
}

/** mulberry32: a tiny deterministic PRNG, seeded from the world. */
export function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const shuffle = <T>(items: readonly T[]): T[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  return { next, shuffle };
}

export interface Outcome {
  readonly text: string;
  readonly reply: Reply;
  /** A description of what differs from the model's expectation, or null. */
  check(reply: Reply): string | null;
  /** Applies the operation to the model (after the reply matched). */
  apply(): void;
}

export type Requester = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  viewer: number | null,
  body?: unknown,
) => Promise<Reply>;

/** Runs one operation through the API and says what the model expects of it (null: nothing to do). */
export async function runOperation(
  t: TestApp,
  model: Model,
  users: readonly FastUser[],
  op: SocialOp,
  request: Requester,
): Promise<Outcome | null> {
  const { a, flag, pick } = op;
  // Self-targets are meaningful for follow, block and mute (a 400); elsewhere, take the next user.
  const b =
    op.b === a && ['unfollow', 'unblock', 'approve', 'reject'].includes(op.kind) ? (a + 1) % model.n : op.b;
  const id = (x: number) => users[x]!.id;
  const text = (verb: string, target = b) => `u${a} ${verb} u${target}`;
  const expect =
    (status: number | number[], body?: Record<string, unknown>) =>
    (reply: Reply): string | null => {
      const statuses = Array.isArray(status) ? status : [status];
      if (!statuses.includes(reply.status))
        return `status ${reply.status}, expected ${statuses.join(' or ')}`;
      if (body && reply.status < 300) {
        for (const [key, value] of Object.entries(body))
          if (JSONish(reply.body?.[key]) !== JSONish(value))
            return `${key} ${JSONish(reply.body?.[key])}, expected ${JSONish(value)}`;
      }
      return null;
    };
  const nothing = () => {};

  switch (op.kind) {
    case 'follow': {
      const reply = await request('POST', `/api/v1/users/${id(b)}/follow`, a);
      if (a === b) return { text: text('follows'), reply, check: expect(400, {}), apply: nothing };
      if (model.blockedEitherWay(a, b))
        return { text: text('follows'), reply, check: expect(404), apply: nothing };
      const state = model.edge(a, b) ?? (model.isPrivate[b] ? 'pending' : 'accepted');
      return {
        text: text('follows'),
        reply,
        check: expect(200, { status: state === 'accepted' ? 'following' : 'requested' }),
        apply: () => model.follows.set(pair(a, b), state),
      };
    }
    case 'unfollow': {
      const reply = await request('DELETE', `/api/v1/users/${id(b)}/follow`, a);
      // Across a block there is no edge to remove; the rules leave the status open there.
      const status = model.blockedEitherWay(a, b) ? [200, 404] : 200;
      return {
        text: text('unfollows'),
        reply,
        check: expect(status, { status: 'none' }),
        apply: () => model.follows.delete(pair(a, b)),
      };
    }
    case 'approve':
    case 'reject': {
      // With `flag`, answer a request that is really waiting (if any); else whoever `b` is.
      const waiting = model.requesters(a).filter((r) => r !== a);
      const requester = flag && waiting.length ? waiting[pick % waiting.length]! : b;
      const reply = await request('POST', `/api/v1/me/follow-requests/${id(requester)}/${op.kind}`, a);
      const was = model.pending(requester, a);
      return {
        text: `u${a} ${op.kind}s the request of u${requester}`,
        reply,
        check: expect(was ? 204 : 404),
        apply: () => {
          if (!was) return;
          if (op.kind === 'approve') model.follows.set(pair(requester, a), 'accepted');
          else model.follows.delete(pair(requester, a));
        },
      };
    }
    case 'block': {
      const reply = await request('POST', `/api/v1/users/${id(b)}/block`, a);
      if (a === b) return { text: text('blocks'), reply, check: expect(400), apply: nothing };
      return {
        text: text('blocks'),
        reply,
        check: expect(204),
        apply: () => {
          model.blocks.add(pair(a, b));
          model.follows.delete(pair(a, b));
          model.follows.delete(pair(b, a));
        },
      };
    }
    case 'unblock': {
      const reply = await request('DELETE', `/api/v1/users/${id(b)}/block`, a);
      return {
        text: text('unblocks'),
        reply,
        check: expect(204),
        apply: () => model.blocks.delete(pair(a, b)),
      };
    }
    case 'mute':
    case 'unmute': {
      const on = op.kind === 'mute';
      const reply = await request(on ? 'POST' : 'DELETE', `/api/v1/users/${id(b)}/mute`, a);
      const verb = on ? 'mutes' : 'unmutes';
      if (a === b) return { text: text(verb), reply, check: expect(400), apply: nothing };
      // A block hides each side from the other: muting across it is a 404, like following.
      if (model.blockedEitherWay(a, b))
        return { text: text(verb), reply, check: expect(404), apply: nothing };
      return {
        text: text(verb),
        reply,
        check: expect(204),
        apply: () => (on ? model.mutes.add(pair(a, b)) : model.mutes.delete(pair(a, b))),
      };
    }
    case 'private': {
      const reply = await request('PATCH', '/api/v1/me', a, { isPrivate: flag });
      return {
        text: `u${a} goes ${flag ? 'private' : 'public'}`,
        reply,
        check: expect(200, { isPrivate: flag }),
        apply: () => {
          if (model.isPrivate[a] && !flag)
            for (const r of model.requesters(a)) model.follows.set(pair(r, a), 'accepted');
          model.isPrivate[a] = flag;
        },
      };
    }
    case 'post': {
      const mediaId = await readyMedia(t, id(a));
      const reply = await request('POST', '/api/v1/posts', a, { mediaIds: [mediaId] });
      return {
        text: `u${a} posts`,
        reply,
        check: (r) =>
          expect(201, { status: 'published' })(r) ??
          (r.body?.author?.id === id(a) ? null : `author ${JSONish(r.body?.author?.id)}`),
        apply: () => model.posts.push({ id: reply.body.id, author: a, deleted: false }),
      };
    }
    case 'delete': {
      if (model.posts.length === 0) return null;
      // With `flag`, one of the actor's own live posts (if any); else any post at all.
      const own = model.posts.filter((p) => p.author === a && !p.deleted);
      const post = flag && own.length ? own[pick % own.length]! : model.posts[pick % model.posts.length]!;
      const reply = await request('DELETE', `/api/v1/posts/${post.id}`, a);
      const status = post.deleted
        ? 404
        : post.author === a
          ? 204
          : model.contentVisible(a, post.author)
            ? 403
            : 404;
      return {
        text: `u${a} deletes ${post.id} by u${post.author}${post.deleted ? ' (already deleted)' : ''}`,
        reply,
        check: expect(status),
        apply: () => {
          if (status === 204) post.deleted = true;
        },
      };
    }
  }
}

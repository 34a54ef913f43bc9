/**
 * The reference model of likes, comments, saves, discovery and notifications for
 * engagement.property.test.ts, written from docs/visibility.md, docs/engagement.md,
 * docs/discovery.md and docs/notifications.md on top of the social graph's model
 * (social-model.ts). Like that one, it never imports the server's policy.
 *
 * Notifications are made by a worker at some moment after the action, from the state it finds
 * then. The model does not pretend to know that moment: each event's candidate notification is
 * re-evaluated after every later operation until the test waits for the worker (`settle`), and
 * is then certain (its conditions held all along), possible (they held some of the time) or
 * impossible. Worlds that wait after every operation get an exact answer.
 */
import { Model, newestFirst, pair, type ModelPost, type Viewer } from './social-model.js';

export interface Caption {
  /** Distinct, lower-case, as the API lists them. */
  readonly tags: readonly string[];
  /** Distinct mentioned users (existing accounts only). */
  readonly mentions: readonly number[];
  /** Lower-case words of the caption, as PostgreSQL's `simple` text search splits them. */
  readonly words: readonly string[];
}

export interface ModelComment {
  readonly id: string;
  readonly post: ModelPost;
  readonly author: number;
  readonly body: string;
  /** Mentioned users, distinct. */
  readonly mentions: readonly number[];
  deleted: boolean;
}

export type NotificationType =
  'like' | 'comment' | 'mention' | 'follow' | 'follow_request' | 'follow_accepted';

export interface ModelNotification {
  readonly recipient: number;
  readonly type: NotificationType;
  readonly actor: number;
  readonly post: ModelPost | null;
  readonly comment: ModelComment | null;
}

/** One notification per recipient and key: the dedupe keys of docs/notifications.md. */
export const notificationKey = (n: {
  type: string;
  actor: number;
  postId: string | null;
  commentId: string | null;
}) => `${n.type}:u${n.actor}:${n.postId ?? '-'}:${n.commentId ?? '-'}`;

const keyOf = (n: ModelNotification) =>
  notificationKey({
    type: n.type,
    actor: n.actor,
    postId: n.post?.id ?? null,
    commentId: n.comment?.id ?? null,
  });

interface Pending {
  readonly notification: ModelNotification;
  /** What the worker checks when it handles the event (sources.ts and the gate, as documented). */
  readonly holds: () => boolean;
  sawTrue: boolean;
  sawFalse: boolean;
}

/** Lower-case words, split where the `simple` parser splits (anything not a letter or digit). */
export const wordsOf = (text: string) =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .filter(Boolean);

export class EngagementModel extends Model {
  readonly captions = new Map<string, Caption>();
  /** Post id → liker → order of the like row (a like after an unlike is a new, newer row). */
  readonly likes = new Map<string, Map<number, number>>();
  /** User → post id → order of the save row. */
  readonly saves = new Map<number, Map<string, number>>();
  readonly comments: ModelComment[] = [];
  /** Per recipient: notification key → certain (true) or only possible (false). */
  readonly notified = new Map<number, Map<string, { n: ModelNotification; certain: boolean }>>();
  #pending: Pending[] = [];
  #rows = 0;

  // --- engagement ------------------------------------------------------------------------

  /** Liking, commenting on and saving: a live, published post the viewer may see. */
  engageable(viewer: number, post: ModelPost): boolean {
    return this.postVisible(viewer, post);
  }

  likeCount = (post: ModelPost) => this.likes.get(post.id)?.size ?? 0;
  commentCount = (post: ModelPost) => this.comments.filter((c) => c.post === post && !c.deleted).length;
  likedBy = (viewer: Viewer, post: ModelPost) => viewer !== null && !!this.likes.get(post.id)?.has(viewer);
  savedBy = (viewer: Viewer, post: ModelPost) => viewer !== null && !!this.saves.get(viewer)?.has(post.id);

  /** Returns whether a like row was created (and so a `like.created` event written). */
  like(user: number, post: ModelPost): boolean {
    const likers = this.likes.get(post.id) ?? new Map<number, number>();
    this.likes.set(post.id, likers);
    if (likers.has(user)) return false;
    likers.set(user, ++this.#rows);
    return true;
  }

  unlike(user: number, post: ModelPost): void {
    this.likes.get(post.id)?.delete(user);
  }

  save(user: number, post: ModelPost): void {
    const saved = this.saves.get(user) ?? new Map<string, number>();
    this.saves.set(user, saved);
    if (!saved.has(post.id)) saved.set(post.id, ++this.#rows);
  }

  unsave(user: number, post: ModelPost): void {
    this.saves.get(user)?.delete(post.id);
  }

  /** A comment is seen by whoever sees its post, unless a block separates them from its author. */
  commentVisible(viewer: Viewer, comment: ModelComment): boolean {
    return (
      !comment.deleted &&
      this.postVisible(viewer, comment.post) &&
      (viewer === null || !this.blockedEitherWay(viewer, comment.author))
    );
  }

  /** GET /posts/{id}/comments: oldest first, or null for 404. */
  commentsOf(viewer: Viewer, post: ModelPost): ModelComment[] | null {
    if (!this.postVisible(viewer, post)) return null;
    return this.comments.filter((c) => c.post === post && this.commentVisible(viewer, c));
  }

  /** GET /posts/{id}/likes: newest like first, or null for 404. */
  likersOf(viewer: number, post: ModelPost): number[] | null {
    if (!this.postVisible(viewer, post)) return null;
    return [...(this.likes.get(post.id) ?? new Map<number, number>())]
      .filter(([user]) => !this.blockedEitherWay(viewer, user))
      .sort((a, b) => b[1] - a[1])
      .map(([user]) => user);
  }

  /** GET /me/saved: newest save first, only posts still visible. */
  savedOf(viewer: number): string[] {
    const byId = new Map(this.posts.map((p) => [p.id, p]));
    return [...(this.saves.get(viewer) ?? new Map<string, number>())]
      .filter(([id]) => this.postVisible(viewer, byId.get(id)!))
      .sort((a, b) => b[1] - a[1])
      .map(([id]) => id);
  }

  // --- discovery -------------------------------------------------------------------------

  /** GET /hashtags/{tag}/posts: visible posts with the tag, newest first. */
  hashtagPosts(viewer: Viewer, tag: string): string[] {
    return this.#visiblePosts(viewer, (c) => c.tags.includes(tag));
  }

  /** GET /search?type=posts: every word matches a word of the caption, the last as a prefix. */
  searchPosts(viewer: Viewer, query: string): string[] {
    const terms = wordsOf(query);
    if (terms.length === 0) return [];
    const last = terms.at(-1)!;
    return this.#visiblePosts(
      viewer,
      (c) => terms.slice(0, -1).every((t) => c.words.includes(t)) && c.words.some((w) => w.startsWith(last)),
    );
  }

  /** GET /explore, for a ranking that holds `ranked`: public, live, no block, not muted. */
  exploreAllows(viewer: Viewer, post: ModelPost): boolean {
    return (
      !post.deleted &&
      !this.isPrivate[post.author] &&
      this.profileVisible(viewer, post.author) &&
      (viewer === null || !this.mutes.has(pair(viewer, post.author)))
    );
  }

  #visiblePosts(viewer: Viewer, match: (caption: Caption) => boolean): string[] {
    return this.posts
      .filter((p) => this.postVisible(viewer, p) && match(this.captions.get(p.id)!))
      .map((p) => p.id)
      .sort(newestFirst);
  }

  // --- notifications ---------------------------------------------------------------------

  /**
   * May `recipient` hear from `actor` (about `post`)? No block either way, not muted by the
   * recipient, and the post (if any) visible to the recipient.
   */
  gate(recipient: number, actor: number, post: ModelPost | null): boolean {
    return (
      recipient !== actor &&
      !this.blockedEitherWay(recipient, actor) &&
      !this.mutes.has(pair(recipient, actor)) &&
      (post === null || this.postVisible(recipient, post))
    );
  }

  /** An event was written: the notification it may become, and what the worker will check. */
  emit(notification: ModelNotification, holds: () => boolean): void {
    if (notification.recipient === notification.actor) return;
    const { recipient, actor, post } = notification;
    this.#pending.push({
      notification,
      holds: () => holds() && this.gate(recipient, actor, post),
      sawTrue: false,
      sawFalse: false,
    });
  }

  /** Follow edges that appeared or turned accepted between `before` and now: their events. */
  emitFollowEvents(before: ReadonlyMap<string, string>): void {
    for (const [key, state] of this.follows) {
      const was = before.get(key);
      if (was === state) continue;
      const [follower, followee] = key.split('>').map(Number) as [number, number];
      const still = (wanted: string) => () => this.edge(follower, followee) === wanted;
      if (was === undefined && state === 'accepted')
        this.emit(
          { recipient: followee, type: 'follow', actor: follower, post: null, comment: null },
          still('accepted'),
        );
      else if (was === undefined)
        this.emit(
          { recipient: followee, type: 'follow_request', actor: follower, post: null, comment: null },
          still('pending'),
        );
      else if (was === 'pending' && state === 'accepted')
        this.emit(
          { recipient: follower, type: 'follow_accepted', actor: followee, post: null, comment: null },
          still('accepted'),
        );
    }
  }

  /** A published post: each account it mentions. */
  emitPostMentions(post: ModelPost): void {
    for (const m of this.captions.get(post.id)!.mentions)
      this.emit(
        { recipient: m, type: 'mention', actor: post.author, post, comment: null },
        () => !post.deleted,
      );
  }

  /** A new like row. */
  emitLike(liker: number, post: ModelPost): void {
    this.emit(
      { recipient: post.author, type: 'like', actor: liker, post, comment: null },
      () => !post.deleted && this.likedBy(liker, post),
    );
  }

  /** A new comment: the post's author, and the accounts it mentions (the post's author once). */
  emitComment(comment: ModelComment): void {
    const { post, author } = comment;
    const live = () => !post.deleted && !comment.deleted;
    this.emit({ recipient: post.author, type: 'comment', actor: author, post, comment }, live);
    for (const m of comment.mentions)
      if (m !== post.author) this.emit({ recipient: m, type: 'mention', actor: author, post, comment }, live);
  }

  /** The world changed: every event the worker may not have handled yet sees the new state. */
  observe(): void {
    for (const p of this.#pending) {
      if (p.holds()) p.sawTrue = true;
      else p.sawFalse = true;
    }
  }

  /** The worker has handled every event so far. */
  settle(): void {
    for (const { notification: n, sawTrue, sawFalse } of this.#pending) {
      if (!sawTrue) continue;
      const mine = this.notified.get(n.recipient) ?? new Map();
      this.notified.set(n.recipient, mine);
      const key = keyOf(n);
      mine.set(key, { n, certain: mine.get(key)?.certain === true || !sawFalse });
    }
    this.#pending = [];
  }

  /**
   * GET /notifications as `recipient` reads it now: what must be there and what may be. A
   * notification shows while its actor is not blocked either way or muted and its post is still
   * visible; a deleted comment takes its notifications along.
   */
  notificationsOf(recipient: number): { must: Set<string>; may: Set<string> } {
    const must = new Set<string>();
    const may = new Set<string>();
    for (const [key, { n, certain }] of this.notified.get(recipient) ?? []) {
      if (!this.gate(recipient, n.actor, n.post) || n.comment?.deleted) continue;
      (certain ? must : may).add(key);
    }
    return { must, may };
  }
}

import type { TimelineStore } from '../../apps/server/src/ports/timeline-store.js';
import type { Posts, Users } from './content.js';
import type { Adjacency } from './rows.js';

/**
 * Timelines as the system builds them (feed.writer.ts rebuildHome / rebuildAuthor): an active
 * reader's home timeline holds the newest `cap` posts of the reader and of every followee in
 * push mode (seeded follows are all approved, and nobody blocks or mutes yet, so the policy
 * keeps them all); a pull-mode author's list holds their newest `cap` posts. Written through
 * the TimelineStore port (beginRebuild, completeRebuild), so the bytes are the store's own.
 */

/** Lists written at once. Invariant: enough to keep Redis busy, few enough to bound memory. */
const IN_FLIGHT = 32;

/** Each author's post indexes, newest first (posts are sorted by id, so walk backwards). */
export function postsByAuthor(posts: Posts, users: number): { offsets: Int32Array; index: Int32Array } {
  const offsets = new Int32Array(users + 1);
  for (let u = 0; u < users; u++) offsets[u + 1] = offsets[u]! + posts.perAuthor[u]!;
  const next = offsets.slice(0, users);
  const index = new Int32Array(posts.ids.length);
  for (let i = posts.ids.length - 1; i >= 0; i--) index[next[posts.author[i]!]!++] = i;
  return { offsets, index };
}

export function homeTimeline(
  reader: number,
  context: {
    adj: Adjacency;
    byAuthor: ReturnType<typeof postsByAuthor>;
    posts: Posts;
    pull: Uint8Array;
    cap: number;
  },
): string[] {
  const { adj, byAuthor, posts, pull, cap } = context;
  const candidates: number[] = [];
  const take = (author: number) => {
    const end = Math.min(byAuthor.offsets[author + 1]!, byAuthor.offsets[author]! + cap);
    for (let j = byAuthor.offsets[author]!; j < end; j++) candidates.push(byAuthor.index[j]!);
  };
  take(reader);
  for (let e = adj.offsets[reader]!; e < adj.offsets[reader + 1]!; e++) {
    if (!pull[adj.followee[e]!]) take(adj.followee[e]!);
  }
  // Post indexes are in id order, so the newest ids are the largest indexes.
  return Int32Array.from(candidates)
    .sort()
    .reverse()
    .subarray(0, cap)
    .reduce<string[]>((out, i) => (out.push(posts.ids[i]!.toString()), out), []);
}

export async function writeTimelines(
  store: TimelineStore,
  lists: Iterable<[timelineId: string, postIds: () => string[]]>,
  cap: number,
  onList: () => void,
): Promise<number> {
  let written = 0;
  const running = new Set<Promise<void>>();
  for (const [id, postIds] of lists) {
    const job = (async () => {
      await store.beginRebuild(id);
      await store.completeRebuild(id, postIds(), cap);
      written++;
      onList();
    })();
    running.add(job);
    void job.finally(() => running.delete(job)).catch(() => {});
    if (running.size >= IN_FLIGHT) await Promise.race(running);
  }
  await Promise.all(running);
  return written;
}

/** The ids of active readers and of pull-mode authors, as the store names timelines. */
export function* activeReaders(users: Users): Generator<number> {
  for (let u = 0; u < users.ids.length; u++) if (users.active[u]) yield u;
}

import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

/**
 * The follow graph, generated in memory (users are indexes 0..N-1 in the order they joined; the
 * loader gives them ids). Followees are chosen by preferential attachment as accounts join
 * (Barabási-Albert with initial attractiveness): a joining user picks among the accounts that
 * joined before, each with weight (followers + ATTRACTIVENESS x avg follows). In urn form a pick
 * copies the followee of a random follow made so far, or picks a uniformly random earlier account.
 * Early accounts become hubs and follower counts get a power-law tail (exponent near 3): with 200
 * follows on average the oldest account ends with about half of all users, as a real network's
 * top accounts do. Early joiners who found too few accounts to follow top up at the end, from
 * everyone, by the same rule.
 *
 * On top of that, the first C accounts are celebrities: celebrity k (1-based) is followed by a
 * random share 1/(2k) of everyone (N/2, N/4, N/6, ...), far above what attachment alone gives
 * with this many users, and they take no part in the attachment draw.
 */

/**
 * Weight of an account nobody follows yet, in units of the average follow count. Invariant:
 * above 0 (otherwise unfollowed accounts could never be picked); 1 is the Barabási-Albert
 * exponent of 3; larger values flatten the tail, smaller ones concentrate follows on the oldest.
 */
export const ATTRACTIVENESS = 1;

/** No account follows more than this many (Instagram's limit); bounds one user's row count. */
export const MAX_FOLLOWS = 7_500;

export interface GraphOptions {
  readonly users: number;
  readonly avgFollows: number;
  readonly celebrities: number;
}

export interface Graph {
  readonly users: number;
  /** follows[i] = [follower, followee], as two parallel arrays, in the order they were made. */
  readonly follower: Int32Array;
  readonly followee: Int32Array;
  /** Followers per account, and follows per account. */
  readonly followers: Int32Array;
  readonly following: Int32Array;
}

export function generateGraph(
  options: GraphOptions,
  rng: RandomGenerator,
  onProgress?: (made: number) => void,
): Graph {
  const { users, celebrities } = options;
  const random = () => uniformFloat64(rng);
  const below = (n: number) => Math.floor(random() * n);
  const attractiveness = ATTRACTIVENESS * options.avgFollows;

  // Out-degrees: exponential around the mean (most people follow a few dozen to a few hundred,
  // some thousands), at least one, at most MAX_FOLLOWS and everyone else.
  const cap = Math.min(MAX_FOLLOWS, users - 1);
  const wants = new Int32Array(users);
  let total = 0;
  for (let u = 0; u < users; u++) {
    wants[u] = Math.max(1, Math.min(cap, Math.round(-options.avgFollows * Math.log(1 - random()))));
    total += wants[u]!;
  }

  const follower = new Int32Array(total);
  const followee = new Int32Array(total);
  const followers = new Int32Array(users);
  const following = new Int32Array(users);
  // Who picked an account last: a duplicate check without a set per user.
  const pickedBy = new Int32Array(users).fill(-1);
  let made = 0;
  const follow = (u: number, to: number) => {
    follower[made] = u;
    followee[made] = to;
    made++;
    pickedBy[to] = u;
    followers[to]!++;
    following[u]!++;
  };
  const fill = (u: number, pool: number, follows: (to: number) => boolean) => {
    const want = Math.min(wants[u]!, pool - 1);
    // Duplicates are rare next to the pool; the bound only stops a pathological loop.
    for (let tries = 0; following[u]! < want && tries < want * 50; tries++) {
      const uniform = made === 0 || random() * (attractiveness * pool + made) < attractiveness * pool;
      const to = uniform ? below(pool) : followee[below(made)]!;
      if (to === u || to < celebrities || follows(to)) continue;
      follow(u, to);
    }
  };
  for (let u = 1; u < users; u++) {
    for (let k = 0; k < Math.min(celebrities, u) && following[u]! < wants[u]!; k++) {
      if (random() < 1 / (2 * (k + 1))) follow(u, k);
    }
    fill(u, u, (to) => pickedBy[to] === u);
    if ((u & 4095) === 0) onProgress?.(made);
  }
  // Early joiners found fewer accounts than they wanted. Their follows are scattered among
  // later picks by now (and pickedBy overwritten), so each gets a set of them; pickedBy still
  // catches the picks of this round.
  const short = new Map<number, Set<number>>();
  for (let u = 0; u < users; u++) if (following[u]! < wants[u]!) short.set(u, new Set());
  for (let e = 0; e < made; e++) short.get(follower[e]!)?.add(followee[e]!);
  for (const [u, already] of short) {
    fill(u, users, (to) => pickedBy[to] === u || already.has(to));
  }
  onProgress?.(made);
  return {
    users,
    follower: follower.subarray(0, made),
    followee: followee.subarray(0, made),
    followers,
    following,
  };
}

/**
 * Every Redis key Glimpse writes is built here, so the whole key space can be read in one
 * place. The part in braces is the Redis Cluster hash tag: keys that one operation touches
 * together must share it. The configured REDIS_KEY_PREFIX is added by the client.
 */
export const redisKeys = {
  /**
   * Home timeline of one user. A string of post ids packed as 8-byte big-endian unsigned
   * integers, ascending; "" is an existing, empty timeline (docs/timelines.md).
   */
  homeTimeline: (userId: string) => `feed:{${userId}}`,
  /** Recent posts of one author, read by followers who pull: the same packed-ids string. */
  authorPosts: (authorId: string) => `posts:{${authorId}}`,
  /**
   * Scratch copy of one of the lists above, alive only inside the script that compacts the
   * list (COPY, then RENAME back). It keeps the list's hash tag, so it is in the same slot.
   */
  listScratch: (listKey: string) => `${listKey}~`,
  /**
   * Present while one of the lists above is being rebuilt (a string "1"): readers treat the
   * list as missing, pushes still land in it. Same hash tag, same slot as its list.
   */
  listRebuilding: (listKey: string) => `${listKey}!`,
  /** GCRA state of one rate-limit subject (a number: the theoretical arrival time in ms). */
  rate: (subject: string) => `rl:{${subject}}`,
  /** One cached value. */
  cache: (key: string) => `c:{${key}}`,
} as const;

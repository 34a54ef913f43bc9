/**
 * Every Redis key Glimpse writes is built here, so the whole key space can be read in one
 * place. The part in braces is the Redis Cluster hash tag: keys that one operation touches
 * together must share it. The configured REDIS_KEY_PREFIX is added by the client.
 */
export const redisKeys = {
  /** Home timeline of one user: sorted set of zero-padded post ids. */
  timeline: (userId: string) => `feed:{${userId}}`,
  /** GCRA state of one rate-limit subject (a number: the theoretical arrival time in ms). */
  rate: (subject: string) => `rl:{${subject}}`,
  /** One cached value. */
  cache: (key: string) => `c:{${key}}`,
} as const;

/**
 * Short-lived shared values (session denylist, hot objects). Entries always carry a TTL: the
 * cache is never the only copy of anything, so losing it costs speed, not correctness.
 */
export interface Cache {
  get(key: string): Promise<string | null>;
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Glimpse ids: 64-bit, time-sortable, Instagram's layout (see migrations/0001_foundation.sql,
 * where next_id() mints them inside the INSERT that needs one).
 *   | 41 bits ms since ID_EPOCH_MS | 13 bits logical shard | 10 bits sequence |
 */
export const ID_EPOCH_MS = 1_767_225_600_000; // 2026-01-01T00:00:00Z
export const SHARD_BITS = 13;
export const SEQUENCE_BITS = 10;
export const SHARD_COUNT = 1 << SHARD_BITS;
const MAX_ID = (1n << 63n) - 1n;
const DECIMAL = /^[1-9][0-9]{0,18}$/;

/** A positive decimal string that fits PostgreSQL's bigint: what the API accepts as an id. */
export function isId(value: string): boolean {
  return DECIMAL.test(value) && BigInt(value) <= MAX_ID;
}

export interface DecodedId {
  readonly timestampMs: number;
  readonly shard: number;
  readonly sequence: number;
}

export function decodeId(id: string): DecodedId {
  const n = BigInt(id);
  return {
    timestampMs: Number(n >> BigInt(SHARD_BITS + SEQUENCE_BITS)) + ID_EPOCH_MS,
    shard: Number((n >> BigInt(SEQUENCE_BITS)) & BigInt(SHARD_COUNT - 1)),
    sequence: Number(n & BigInt((1 << SEQUENCE_BITS) - 1)),
  };
}

/** The smallest id minted at `timestampMs`: a cursor bound for "everything since t". */
export function minIdAt(timestampMs: number): string {
  return (BigInt(Math.max(0, timestampMs - ID_EPOCH_MS)) << BigInt(SHARD_BITS + SEQUENCE_BITS)).toString();
}

/** Numeric comparison of two ids without converting through doubles. */
export function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

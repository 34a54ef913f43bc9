import { Cluster } from 'ioredis';
import type { TimelineEntry, TimelineStore } from '../../ports/timeline-store.js';
import { redisKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';

/**
 * Lists as "packed ids" (docs/timelines.md): one Redis string per list holding its post ids as
 * 8-byte big-endian unsigned integers, ascending. 800 ids take 6.4 KB (9 B per entry with the
 * allocator's rounding, where a sorted set takes 120 B: bench/results/timeline-memory.json),
 * and the order is exact for 64-bit ids. An existing but empty list is the empty string.
 * Every operation is a script over one list (and its scratch key, in the same slot), except
 * batched pushes on a single Redis. Needs Redis 6.2 or later (COPY).
 */

/**
 * `push` lets a list grow to `cap + TRIM_SLACK` records before cutting it back to exactly `cap`,
 * so the rewrite that drops the oldest happens once per TRIM_SLACK pushes, not on every one.
 * Invariant: a list holds its newest `cap` ids (or all it ever had) and never more than
 * `cap + TRIM_SLACK`. At cap 800 the slack keeps the string (6.4-6.9 KB) inside one 7 KiB
 * allocator size class, so it costs no memory.
 */
export const TRIM_SLACK = 64;
/**
 * Lists per push script on a single Redis. A script blocks the server while it runs; at a few
 * microseconds per list this bounds that to a few milliseconds, while a 1,000-follower
 * fan-out is still one command.
 */
const PUSH_BATCH = 1_000;
const RECORD = 8;
/**
 * Records `range` fetches first when given a cursor: 1 KB, five pages of 20 deep. Cursors
 * further down read the whole list, which costs about as much as fetching this window 6 times.
 */
const RANGE_TAIL = 128;
/**
 * Records an out-of-order push looks among before reading the whole list. Concurrent fan-outs
 * of one author's posts interleave, so a post often arrives a few places behind newer ones:
 * splicing it into the newest 128 bytes (GETRANGE, SETRANGE) costs a little more than an
 * APPEND, where GET + SET of a full 6.4 KB list costs several times more. Invariant: larger
 * than the number of fan-outs that run at once (feed.fanout's concurrency times workers, in
 * the common case), smaller than what makes Lua's work on the window dominate.
 */
const SPLICE_TAIL = 16;

/**
 * Records are compared as two 32-bit halves, exact in Lua's doubles, never with `<` on strings:
 * Lua compares strings with strcoll() and Redis takes LC_COLLATE from its environment, so byte
 * order is not guaranteed. `lower_bound` is the first record in [from, to) not below (hi, lo).
 */
const LUA_RECORDS = `
local function lower_bound(s, from, to, hi, lo)
  while from < to do
    local m = math.floor((from + to) / 2)
    local h, l = struct.unpack('>I4I4', s, m * 8 + 1)
    if h < hi or (h == hi and l < lo) then from = m + 1 else to = m end
  end
  return from
end

-- The union of two ascending record strings, and whether it differs from s. With full, ids
-- older than every record are dropped: a full list may have been trimmed, so it no longer
-- holds the posts around them, and an isolated old id would make a page skip those.
local function merge(s, ids, full)
  local parts, i, n, added = {}, 0, #s / 8, false
  for j = 1, #ids, 8 do
    local id = string.sub(ids, j, j + 7)
    local p = lower_bound(s, i, n, struct.unpack('>I4I4', id))
    if not (full and p == 0) and string.sub(s, p * 8 + 1, p * 8 + 8) ~= id then
      parts[#parts + 1] = string.sub(s, i * 8 + 1, p * 8)
      parts[#parts + 1] = id
      i, added = p, true
    end
  end
  if not added then return s, false end
  parts[#parts + 1] = string.sub(s, i * 8 + 1)
  return table.concat(parts), true
end

-- The newest keep records of s.
local function newest(s, keep)
  if #s <= keep * 8 then return s end
  return string.sub(s, #s - keep * 8 + 1)
end

-- SET leaves a string with no spare room, so the next APPEND would reallocate it greedily
-- (twice its size); a COPY is allocated at its size class, whose rounding later appends fill
-- in place. Every SET of a list goes through here.
local function store(key, scratch, s)
  redis.call('SET', key, s, 'KEEPTTL')
  if #s > 0 then
    redis.call('COPY', key, scratch, 'REPLACE')
    redis.call('RENAME', scratch, key)
  end
end
`;

/**
 * When to ask MEMORY USAGE after an APPEND or SETRANGE (it costs as much as the APPEND): when
 * the length crosses one of jemalloc's size classes (four per power of two; a 1..24 byte
 * window covers every sds header), and only from 384 bytes: below that, greedy growth cannot
 * pass the compaction threshold. Strings the scripts SET are compacted at once (`store`),
 * so between crossings a list grows inside its allocation; with TRIM_SLACK, a list at its cap
 * never crosses one, and the steady state never asks.
 */
const LUA_PUSH = `${LUA_RECORDS}
local function size_class(x)
  if x <= 128 then return math.ceil(x / 16) * 16 end
  local step = 2 ^ (math.floor(math.log(x - 1) / math.log(2)) - 2)
  return math.ceil(x / step) * step
end

local function push(key, scratch, ids, cap)
  -- The newest records, read once: the last one decides append or splice, the rest is where a
  -- late id is spliced in.
  local tail = redis.call('GETRANGE', key, -${SPLICE_TAIL} * 8, -1)
  if tail == '' and redis.call('EXISTS', key) == 0 then return end
  local last = string.sub(tail, -8)
  -- A retried fan-out: the newest is already there.
  if string.sub(ids, 1, 8) == last then ids = string.sub(ids, 9) end
  if ids == '' then return end
  local h, l = struct.unpack('>I4I4', ids)
  local newer = last == ''
  if not newer then
    local lh, ll = struct.unpack('>I4I4', last)
    newer = h > lh or (h == lh and l > ll)
  end
  local n
  if newer then
    n = redis.call('APPEND', key, ids)
  else
    -- Out of order (concurrent fan-outs interleave): splice within the newest records when
    -- every id falls among them, writing back only from the first change.
    local len = #tail
    if len == ${SPLICE_TAIL} * 8 then len = redis.call('STRLEN', key) end
    local from = len - #tail
    local fh, fl = struct.unpack('>I4I4', tail)
    if from > 0 and (h < fh or (h == fh and l <= fl)) then
      local s = redis.call('GET', key)
      local merged, changed = merge(s, ids, #s / 8 >= cap)
      if not changed then return end
      if #merged > (cap + ${TRIM_SLACK}) * 8 then merged = newest(merged, cap) end
      store(key, scratch, merged)
      return
    end
    local at = lower_bound(tail, 0, #tail / 8, h, l)
    if #ids == 8 then
      -- One id (a fan-out): present already, or older than a full list's oldest, or spliced.
      if string.sub(tail, at * 8 + 1, at * 8 + 8) == ids or (at == 0 and from == 0 and len / 8 >= cap) then return end
      n = redis.call('SETRANGE', key, from + at * 8, ids .. string.sub(tail, at * 8 + 1))
    else
      local merged, changed = merge(tail, ids, from == 0 and len / 8 >= cap)
      if not changed then return end
      n = redis.call('SETRANGE', key, from + at * 8, string.sub(merged, at * 8 + 1))
    end
  end
  if n > (cap + ${TRIM_SLACK}) * 8 then
    store(key, scratch, redis.call('GETRANGE', key, n - cap * 8, -1))
  elseif n >= 384 and size_class(n - #ids + 1) ~= size_class(n + 24)
      and redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0') > n * 1.5 + 256 then
    redis.call('COPY', key, scratch, 'REPLACE')
    redis.call('RENAME', scratch, key)
  end
end
`;

/**
 * KEYS: pairs of (list, its scratch key); ARGV[1]: cap, ARGV[1 + k]: the ascending ids for the
 * k-th list. Missing lists are skipped.
 * The common case, ids newer than the whole list, APPENDs without reading the list into Lua
 * (moving a 6.4 KB string through Lua costs about 7 us, APPEND a fraction of one). APPEND
 * grows the allocation greedily, though: a 6.4 KB list would hold 14 KB from its first append
 * on, doubling the memory this layout saves. So when MEMORY USAGE shows that, the list is
 * COPYed (the copy is allocated at its size, rounded up to the allocator's size class, and
 * the next appends fill that rounding in place) and renamed back. The threshold, 1.5 times the
 * length plus 256 bytes, lies between size-class rounding (at most 1.25) and greedy growth (2),
 * above the key's own overhead, so short lists are not copied on every push.
 * Other inserts (older than the newest) splice: GET, merge, SET.
 */
const PUSH = `${LUA_PUSH}
local cap = tonumber(ARGV[1])
for k = 1, #KEYS, 2 do push(KEYS[k], KEYS[k + 1], ARGV[(k + 1) / 2 + 1], cap) end
return 0
`;

/**
 * A fan-out's shape: the same ids to many lists. KEYS: the lists; ARGV[1]: cap, ARGV[2]: the
 * ascending ids for all of them. One argument instead of one per list, and scratch keys named
 * in the script; single Redis only (a Cluster wants every key declared).
 */
const PUSH_SHARED = `${LUA_PUSH}
local cap, ids = tonumber(ARGV[1]), ARGV[2]
for k = 1, #KEYS do push(KEYS[k], KEYS[k] .. '${redisKeys.listScratch('')}', ids, cap) end
return 0
`;

/** KEYS[1]: list, KEYS[2]: its rebuilding mark. Creates the list if missing, marks it. */
const BEGIN_REBUILD = `
redis.call('SET', KEYS[1], '', 'NX')
redis.call('SET', KEYS[2], '1')
return 0
`;

/**
 * KEYS[1]: list, KEYS[2]: its rebuilding mark, KEYS[3]: its scratch key; ARGV[1]: cap,
 * ARGV[2]: ascending ids. Creates, merges, trims to exactly cap, and clears the mark.
 */
const ADD = `${LUA_RECORDS}
local s = redis.call('GET', KEYS[1])
local merged, changed = merge(s or '', ARGV[2], false)
local cap = tonumber(ARGV[1])
if #merged > cap * 8 then merged, changed = newest(merged, cap), true end
if changed or not s then store(KEYS[1], KEYS[3], merged) end
redis.call('DEL', KEYS[2])
return 0
`;

/**
 * KEYS[1]: list, KEYS[2]: its rebuilding mark; ARGV[1]: the exclusive cursor's record or '',
 * ARGV[2]: limit. Replies with the page as one string of records, ascending (Node reverses
 * it), or nil when missing or being rebuilt.
 * Moves as little as it can through Lua, where a redis.call costs about 1 us plus 1 us per KB
 * (measured): a first page is one GETRANGE; a cursor is looked for in the newest
 * RANGE_TAIL records first, where the next pages of a scroll are, and only a deeper one
 * reads the whole list.
 */
const RANGE = `${LUA_RECORDS}
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local key, limit = KEYS[1], tonumber(ARGV[2])
local n = redis.call('STRLEN', key) / 8
if n == 0 and redis.call('EXISTS', key) == 0 then return false end
if ARGV[1] == '' then
  if limit <= 0 or n == 0 then return '' end
  return redis.call('GETRANGE', key, math.max(0, n - limit) * 8, -1)
end
local hi, lo = struct.unpack('>I4I4', ARGV[1])
local from = math.max(0, n - ${RANGE_TAIL})
local s = redis.call('GETRANGE', key, from * 8, -1)
local e = lower_bound(s, 0, #s / 8, hi, lo)
if from > 0 and e == 0 then
  s, from = redis.call('GET', key), 0
  e = lower_bound(s, 0, n, hi, lo)
end
local b = math.max(0, e - limit)
if b >= e then return '' end
if from > 0 and e < limit then
  return redis.call('GETRANGE', key, math.max(0, from + e - limit) * 8, (from + e) * 8 - 1)
end
return string.sub(s, b * 8 + 1, e * 8)
`;

/**
 * KEYS[1]: list, KEYS[2]: its scratch key; ARGV[1]: ascending ids. Keeps the list when it
 * empties: it still exists.
 */
const REMOVE = `${LUA_RECORDS}
local s = redis.call('GET', KEYS[1])
if not s then return 0 end
local ids, parts, i, removed = ARGV[1], {}, 0, 0
for j = 1, #ids, 8 do
  local id = string.sub(ids, j, j + 7)
  local p = lower_bound(s, i, #s / 8, struct.unpack('>I4I4', id))
  if string.sub(s, p * 8 + 1, p * 8 + 8) == id then
    parts[#parts + 1] = string.sub(s, i * 8 + 1, p * 8)
    i, removed = p + 1, removed + 1
  end
end
if removed == 0 then return 0 end
parts[#parts + 1] = string.sub(s, i * 8 + 1)
store(KEYS[1], KEYS[2], table.concat(parts))
return removed
`;

type Arg = string | number | Buffer;
type TimelineClient = RedisClient & {
  timelinePush(numKeys: number, ...keysThenArgs: Arg[]): Promise<number>;
  timelinePushOne(key: string, scratch: string, cap: number, ids: Buffer): Promise<number>;
  timelinePushShared(numKeys: number, ...keysThenArgs: Arg[]): Promise<number>;
  timelineBeginRebuild(key: string, mark: string): Promise<number>;
  timelineAdd(key: string, mark: string, scratch: string, cap: number, ids: Buffer): Promise<number>;
  timelineRangeBuffer(
    key: string,
    mark: string,
    before: Buffer | string,
    limit: number,
  ): Promise<Buffer | null>;
  timelineRemove(key: string, scratch: string, ids: Buffer): Promise<number>;
};

/** `new RedisTimelineStore(redis, redisKeys.homeTimeline)`: the key builder names the lists. */
export class RedisTimelineStore implements TimelineStore {
  readonly #redis: TimelineClient;
  readonly #key: (timelineId: string) => string;
  /**
   * On one Redis a push batch is one script over many keys. A cluster refuses scripts whose
   * keys live in different slots, so there each list gets its own call, which auto-pipelining
   * still sends as one write per node.
   */
  readonly #perList: boolean;

  constructor(redis: RedisClient, key: (timelineId: string) => string) {
    redis.defineCommand('timelinePush', { lua: PUSH }); // number of keys given per call
    redis.defineCommand('timelinePushShared', { lua: PUSH_SHARED });
    // The same script with a declared key: ioredis's cluster auto-pipelining routes a command
    // by its first key, which it only finds when the number of keys is declared.
    redis.defineCommand('timelinePushOne', { numberOfKeys: 2, lua: PUSH });
    redis.defineCommand('timelineBeginRebuild', { numberOfKeys: 2, lua: BEGIN_REBUILD });
    redis.defineCommand('timelineAdd', { numberOfKeys: 3, lua: ADD });
    redis.defineCommand('timelineRange', { numberOfKeys: 2, lua: RANGE });
    redis.defineCommand('timelineRemove', { numberOfKeys: 2, lua: REMOVE });
    this.#redis = redis as TimelineClient;
    this.#key = key;
    this.#perList = redis instanceof Cluster;
  }

  async push(entries: readonly TimelineEntry[], cap: number): Promise<void> {
    const lists = [...byList(entries)];
    if (this.#perList) {
      await Promise.all(
        lists.map(([id, ids]) => {
          const key = this.#key(id);
          return this.#redis.timelinePushOne(key, redisKeys.listScratch(key), cap, pack(ids));
        }),
      );
      return;
    }
    const calls: Promise<number>[] = [];
    const shared = sameIds(lists);
    for (let at = 0; at < lists.length; at += PUSH_BATCH) {
      const batch = lists.slice(at, at + PUSH_BATCH);
      if (shared) {
        const keys = batch.map(([id]) => this.#key(id));
        calls.push(this.#redis.timelinePushShared(keys.length, ...keys, cap, shared));
        continue;
      }
      calls.push(
        this.#redis.timelinePush(
          batch.length * 2,
          ...batch.flatMap(([id]) => {
            const key = this.#key(id);
            return [key, redisKeys.listScratch(key)];
          }),
          cap,
          ...batch.map(([, ids]) => pack(ids)),
        ),
      );
    }
    await Promise.all(calls);
  }

  async beginRebuild(timelineId: string): Promise<void> {
    const key = this.#key(timelineId);
    await this.#redis.timelineBeginRebuild(key, redisKeys.listRebuilding(key));
  }

  async completeRebuild(timelineId: string, postIds: readonly string[], cap: number): Promise<void> {
    const key = this.#key(timelineId);
    await this.#redis.timelineAdd(
      key,
      redisKeys.listRebuilding(key),
      redisKeys.listScratch(key),
      cap,
      pack(postIds),
    );
  }

  async range(timelineId: string, options: { before?: string; limit: number }): Promise<string[]> {
    return (await this.#range(timelineId, options)) ?? [];
  }

  async rangeMany(
    timelineIds: readonly string[],
    options: { before?: string; limit: number },
  ): Promise<Map<string, string[] | null>> {
    const pages = await Promise.all(timelineIds.map((id) => this.#range(id, options)));
    return new Map(timelineIds.map((id, i) => [id, pages[i] ?? null]));
  }

  async remove(entries: readonly TimelineEntry[]): Promise<void> {
    await Promise.all(
      [...byList(entries)].map(([id, ids]) => {
        const key = this.#key(id);
        return this.#redis.timelineRemove(key, redisKeys.listScratch(key), pack(ids));
      }),
    );
  }

  async exists(timelineId: string): Promise<boolean> {
    const key = this.#key(timelineId);
    const [list, mark] = await Promise.all([
      this.#redis.exists(key),
      this.#redis.exists(redisKeys.listRebuilding(key)),
    ]);
    return list === 1 && mark === 0;
  }

  async drop(timelineIds: readonly string[]): Promise<void> {
    await Promise.all(
      timelineIds.map((id) => {
        const key = this.#key(id);
        return this.#redis.del(key, redisKeys.listRebuilding(key));
      }),
    );
  }

  async #range(timelineId: string, { before, limit }: { before?: string; limit: number }) {
    const key = this.#key(timelineId);
    const page = await this.#redis.timelineRangeBuffer(
      key,
      redisKeys.listRebuilding(key),
      before === undefined ? '' : pack([before]),
      limit,
    );
    if (page === null) return null;
    const ids: string[] = [];
    for (let at = page.length - RECORD; at >= 0; at -= RECORD) ids.push(page.readBigUInt64BE(at).toString());
    return ids;
  }
}

/** The packed ids when every list gets the same ones (a fan-out), else null. */
function sameIds(lists: readonly [string, string[]][]): Buffer | null {
  const first = lists[0]?.[1];
  if (!first || first.length !== 1) return null;
  return lists.every(([, ids]) => ids.length === 1 && ids[0] === first[0]) ? pack(first) : null;
}

function byList(entries: readonly TimelineEntry[]): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const { timelineId, postId } of entries) {
    const ids = lists.get(timelineId);
    if (ids) ids.push(postId);
    else lists.set(timelineId, [postId]);
  }
  return lists;
}

/** Ids as ascending, distinct 8-byte records: the form every script expects. */
function pack(ids: readonly string[]): Buffer {
  const sorted = ids.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out = Buffer.allocUnsafe(sorted.length * RECORD);
  let length = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) continue;
    out.writeBigUInt64BE(sorted[i]!, length);
    length += RECORD;
  }
  return out.subarray(0, length);
}

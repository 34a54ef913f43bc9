import { redisKeys } from './keys.js';

/**
 * The Lua scripts behind RedisTimelineStore (packed ids: docs/timelines.md), with the
 * constants they are built from. Every script touches one list and the keys that share its
 * hash tag (its scratch copy, its rebuilding mark), except PUSH_SHARED (single Redis only).
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
export const PUSH_BATCH = 1_000;
export const RECORD = 8;
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
export const PUSH = `${LUA_PUSH}
local cap = tonumber(ARGV[1])
for k = 1, #KEYS, 2 do push(KEYS[k], KEYS[k + 1], ARGV[(k + 1) / 2 + 1], cap) end
return 0
`;

/**
 * A fan-out's shape: the same ids to many lists. KEYS: the lists; ARGV[1]: cap, ARGV[2]: the
 * ascending ids for all of them. One argument instead of one per list, and scratch keys named
 * in the script; single Redis only (a Cluster wants every key declared).
 */
export const PUSH_SHARED = `${LUA_PUSH}
local cap, ids = tonumber(ARGV[1]), ARGV[2]
for k = 1, #KEYS do push(KEYS[k], KEYS[k] .. '${redisKeys.listScratch('')}', ids, cap) end
return 0
`;

/** KEYS[1]: list, KEYS[2]: its rebuilding mark. Creates the list if missing, marks it. */
export const BEGIN_REBUILD = `
redis.call('SET', KEYS[1], '', 'NX')
redis.call('SET', KEYS[2], '1')
return 0
`;

/**
 * KEYS[1]: list, KEYS[2]: its rebuilding mark, KEYS[3]: its scratch key; ARGV[1]: cap,
 * ARGV[2]: ascending ids. Creates, merges, trims to exactly cap, and clears the mark.
 */
export const ADD = `${LUA_RECORDS}
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
export const RANGE = `${LUA_RECORDS}
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
export const REMOVE = `${LUA_RECORDS}
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

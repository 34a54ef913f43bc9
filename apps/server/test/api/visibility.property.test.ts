/**
 * The access-control policy, as a property: for random worlds of users, follows, follow
 * requests, blocks, mutes, posts, deletions and private accounts, every read endpoint answers
 * every viewer exactly what a small reference model says (docs/visibility.md). The model is
 * written from the rules, independently of src/graph/visibility.ts: if both encoded the same
 * mistake, importing it would hide it.
 *
 * Users are made straight in the database (fast-users.ts: no Argon2); every graph and post
 * operation goes through the HTTP API, with its status checked against the model too.
 *
 * Knobs (environment): VISIBILITY_WORLDS (default 200 per shape), VISIBILITY_SEED and
 * VISIBILITY_PATH (replay a failure fast-check reported).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { checkWorlds } from '../support/property.js';
import { call, type Reply } from '../support/client.js';
import { insertUsers } from '../support/fast-users.js';
import { Model, prng, runOperation, type ModelPost, type Viewer } from '../support/social-model.js';

const WORLDS = Number(process.env.VISIBILITY_WORLDS ?? 200);
const SEED = process.env.VISIBILITY_SEED === undefined ? undefined : Number(process.env.VISIBILITY_SEED);
const PATH = process.env.VISIBILITY_PATH;
/**
 * Reads per viewer and world, at least (the interesting pairs always come on top): a profile, a
 * posts list, a follower or following list, a post, or the viewer's follow requests.
 */
const READS_PER_VIEWER = 3;
/** Largest page sizes (each read picks 1..this), small so that lists take several pages. */
const LIST_PAGE = 3;
const POSTS_PAGE = 2;
/** Requests in flight at once while checking a world (reads only: they commute). */
const PARALLEL_READS = 4;

// ---------------------------------------------------------------------------------------------
// Worlds: how many users, who starts private, and a sequence of operations.

const KINDS = [
  ['follow', 16],
  ['unfollow', 2],
  ['approve', 4],
  ['reject', 2],
  ['block', 3],
  ['unblock', 2],
  ['mute', 2],
  ['unmute', 1],
  ['private', 3],
  ['post', 4],
  ['delete', 2],
] as const;
type Kind = (typeof KINDS)[number][0];

/** One operation: `a` acts on `b`; `flag` and `pick` refine some kinds (see runOperation). */
interface Op {
  readonly kind: Kind;
  readonly a: number;
  readonly b: number;
  readonly flag: boolean;
  readonly pick: number;
}
interface World {
  readonly n: number;
  readonly privates: boolean[];
  readonly ops: Op[];
  /** Seeds the choice of what to read back, so it varies with (and replays with) fast-check's seed. */
  readonly checkSeed: number;
}

const opArb = (n: number): fc.Arbitrary<Op> =>
  fc.record({
    kind: fc.oneof(...KINDS.map(([kind, weight]) => ({ arbitrary: fc.constant(kind), weight }))),
    a: fc.nat({ max: n - 1 }),
    // A few popular accounts (the first three) take a third of the targets, so some follower
    // lists run over several pages.
    b: fc.oneof(
      { arbitrary: fc.nat({ max: n - 1 }), weight: 2 },
      { arbitrary: fc.nat({ max: 2 }), weight: 1 },
    ),
    flag: fc.boolean(),
    pick: fc.nat({ max: 999 }),
  });

const worldArb: fc.Arbitrary<World> = fc.integer({ min: 8, max: 20 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    privates: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    ops: fc.array(opArb(n), { minLength: 20, maxLength: 60 }),
    checkSeed: fc.integer(),
  }),
);

// ---------------------------------------------------------------------------------------------

interface Stats {
  worlds: number;
  users: number;
  operations: number;
  reads: number;
  requests: number;
  embedded: number;
  buildMs: number;
  checkMs: number;
}

class Mismatch extends Error {
  override readonly name = 'Mismatch';
}

const JSONish = (value: unknown) => JSON.stringify(value);

for (const shape of await availableShapes()) {
  describe(
    `visibility never leaks: random worlds vs a reference model (${shape})`,
    { timeout: 600_000 },
    () => {
      let t: TestApp;
      beforeAll(async () => {
        t = await startTestApp(shape);
      });
      afterAll(() => t?.close());

      it(`${WORLDS} worlds, every viewer, profiles, posts and lists`, async () => {
        const stats: Stats = {
          worlds: 0,
          users: 0,
          operations: 0,
          reads: 0,
          requests: 0,
          embedded: 0,
          buildMs: 0,
          checkMs: 0,
        };
        const started = Date.now();
        await checkWorlds(worldArb, (world) => checkWorld(t, world, stats), {
          runs: WORLDS,
          seed: SEED,
          path: PATH,
        });

        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        console.log(
          `[visibility ${shape}] ${stats.worlds} worlds (${stats.users} users, ${stats.operations} operations ` +
            `checked), ${stats.reads} reads compared with the model (${stats.requests} requests, ` +
            `${stats.embedded} embedded users/posts compared) in ${seconds} s ` +
            `(building ${(stats.buildMs / 1000).toFixed(1)} s, reading back ${(stats.checkMs / 1000).toFixed(1)} s)`,
        );
      });
    },
  );
}

/** Builds one world through the API, checking every operation, then reads it back from every viewer. */
async function checkWorld(t: TestApp, world: World, stats: Stats): Promise<void> {
  const { n } = world;
  const users = await insertUsers(
    t,
    world.privates.map((isPrivate) => ({ isPrivate })),
  );
  const model = new Model(n, [...world.privates]);
  const log: string[] = [];
  const label = (v: Viewer) => (v === null ? 'anon' : `u${v}`);
  const ids = new Map<string, string>(users.map((u, i) => [u.id, `u${i}`]));
  const indexOf = new Map<string, number>(users.map((u, i) => [u.id, i]));
  const readable = (text: string) => text.replace(/\d{6,}/g, (id) => ids.get(id) ?? id);
  const fail = (what: string, details: string[]): never => {
    const state = [
      `private: ${
        model
          .users()
          .filter((u) => model.isPrivate[u])
          .map(label)
          .join(' ') || '-'
      }`,
      `follows: ${[...model.follows].map(([k, s]) => `${k.replace(/(\d+)/g, 'u$1')}${s === 'pending' ? '(pending)' : ''}`).join(' ') || '-'}`,
      `blocks: ${[...model.blocks].map((k) => k.replace(/(\d+)/g, 'u$1')).join(' ') || '-'}`,
      `mutes: ${[...model.mutes].map((k) => k.replace(/(\d+)/g, 'u$1')).join(' ') || '-'}`,
      `posts: ${model.posts.map((p) => `${ids.get(p.id) ?? p.id}@u${p.author}${p.deleted ? '(deleted)' : ''}`).join(' ') || '-'}`,
    ];
    throw new Mismatch(
      readable(
        [
          `${what} (world of ${n} users)`,
          ...details.map((d) => `  ${d}`),
          'operations:',
          ...log.map((l) => `  ${l}`),
          'model state:',
          ...state.map((s) => `  ${s}`),
        ].join('\n'),
      ),
    );
  };

  const as = (v: number) => users[v]!.token;
  const request = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    viewer: Viewer,
    body?: unknown,
  ) => {
    stats.requests++;
    return call(t.app, method, url, {
      ...(viewer !== null && { token: as(viewer) }),
      ...(body !== undefined && { body }),
    });
  };

  // --- Build the world, one operation at a time.
  const buildStarted = performance.now();
  for (const [step, op] of world.ops.entries()) {
    const outcome = await runOperation(t, model, users, op, request);
    if (outcome === null) continue;
    const line = `#${step} ${outcome.text} -> ${outcome.reply.status}${outcome.reply.status < 300 && outcome.reply.body && typeof outcome.reply.body === 'object' && 'status' in outcome.reply.body ? ` ${(outcome.reply.body as { status: string }).status}` : ''}`;
    log.push(line);
    stats.operations++;
    const problem = outcome.check(outcome.reply);
    if (problem) {
      fail(`operation #${step} answered differently from the model`, [
        `${outcome.text}: ${problem}`,
        `reply: ${JSONish(outcome.reply.body)}`,
      ]);
    }
    outcome.apply();
    if (op.kind === 'post') ids.set(model.posts.at(-1)!.id, `p${model.posts.length - 1}`);
  }
  for (const [i, p] of model.posts.entries()) ids.set(p.id, `p${i}`);

  // --- Read it back.
  const checkStarted = performance.now();
  stats.buildMs += checkStarted - buildStarted;
  const rng = prng(world.checkSeed);
  const viewers: Viewer[] = [null, ...model.users()];
  interface Read {
    readonly describe: string;
    run(): Promise<string[]>;
  }
  const checks: Read[] = [];

  /** Differences between a User object as served and the model's view of `owner` for `viewer`. */
  const userDiff = (body: any, viewer: Viewer, owner: number): string[] => {
    stats.embedded++;
    const out: string[] = [];
    const want = {
      id: users[owner]!.id,
      username: users[owner]!.username,
      isPrivate: model.isPrivate[owner],
      ...model.counts(owner),
    };
    for (const [key, value] of Object.entries(want)) {
      if (body?.[key] !== value)
        out.push(`${label(owner)}.${key}: expected ${JSONish(value)}, got ${JSONish(body?.[key])}`);
    }
    if (body && 'email' in body) out.push(`${label(owner)} shows an email address`);
    if (viewer === null) {
      if (body && 'relationship' in body)
        out.push(`${label(owner)} has a relationship for an anonymous viewer`);
    } else {
      const rel = model.relationship(viewer, owner);
      if (JSONish(body?.relationship) !== JSONish(rel))
        out.push(
          `${label(owner)}.relationship: expected ${JSONish(rel)}, got ${JSONish(body?.relationship)}`,
        );
    }
    return out;
  };

  /** Walks every page of a list; reports repeats and oversized pages. */
  const walk = async <T>(url: string, viewer: Viewer, limit: number, key: 'users' | 'posts') => {
    const items: T[] = [];
    const problems: string[] = [];
    let cursor: string | null = null;
    let first: Reply | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const sep = url.includes('?') ? '&' : '?';
      const reply: Reply = await request(
        'GET',
        `${url}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        viewer,
      );
      first ??= reply;
      if (reply.status !== 200) {
        if (pages > 0) problems.push(`page ${pages + 1} answered ${reply.status}`);
        break;
      }
      const page = reply.body[key] as T[];
      if (page.length > limit) problems.push(`page ${pages + 1} has ${page.length} items (limit ${limit})`);
      items.push(...page);
      cursor = reply.body.nextCursor;
      if (!cursor) break;
    }
    return { status: first!.status, items, problems };
  };

  const profileRead = (v: Viewer, o: number) => ({
    describe: `GET /users/${label(o)} as ${label(v)}`,
    run: async () => {
      const reply = await request('GET', `/api/v1/users/${users[o]!.id}`, v);
      const want = model.profileVisible(v, o) ? 200 : 404;
      if (reply.status !== want) return [`status ${reply.status}, expected ${want}`];
      return want === 200 ? userDiff(reply.body, v, o) : [];
    },
  });

  const pageSize = (max: number) => 1 + Math.floor(rng.next() * max);

  const postsRead = (v: Viewer, o: number, limit = pageSize(POSTS_PAGE)) => ({
    describe: `GET /users/${label(o)}/posts?limit=${limit} as ${label(v)}`,
    run: async () => {
      const want = model.postsOf(v, o);
      const got = await walk<any>(`/api/v1/users/${users[o]!.id}/posts`, v, limit, 'posts');
      const wantStatus = want ? 200 : 404;
      if (got.status !== wantStatus) return [`status ${got.status}, expected ${wantStatus}`];
      if (!want) return [];
      const out = [...got.problems];
      const gotIds = got.items.map((p) => p.id as string);
      if (JSONish(gotIds) !== JSONish(want)) out.push(`posts ${JSONish(gotIds)}, expected ${JSONish(want)}`);
      for (const p of got.items) out.push(...userDiff(p.author, v, o));
      return out;
    },
  });

  const listRead = (
    v: Viewer,
    o: number,
    direction: 'followers' | 'following',
    limit = pageSize(LIST_PAGE),
  ) => ({
    describe: `GET /users/${label(o)}/${direction}?limit=${limit} as ${label(v)}`,
    run: async () => {
      const want = model.list(v, o, direction);
      const got = await walk<any>(`/api/v1/users/${users[o]!.id}/${direction}`, v, limit, 'users');
      const wantStatus = want ? 200 : 404;
      if (got.status !== wantStatus) return [`status ${got.status}, expected ${wantStatus}`];
      if (!want) return [];
      const out = [...got.problems];
      const gotIdx = got.items.map((u) => indexOf.get(u.id) ?? -1);
      if (new Set(gotIdx).size !== gotIdx.length) out.push(`repeats: ${JSONish(gotIdx.map(label))}`);
      const sorted = (xs: Iterable<number>) => [...new Set(xs)].sort((a, b) => a - b).map(label);
      if (JSONish(sorted(gotIdx)) !== JSONish(sorted(want)))
        out.push(`users ${JSONish(sorted(gotIdx))}, expected ${JSONish(sorted(want))}`);
      for (const u of got.items) if (indexOf.has(u.id)) out.push(...userDiff(u, v, indexOf.get(u.id)!));
      return out;
    },
  });

  const postRead = (v: Viewer, p: ModelPost) => ({
    describe: `GET /posts/${p.id} (by ${label(p.author)}${p.deleted ? ', deleted' : ''}) as ${label(v)}`,
    run: async () => {
      const reply = await request('GET', `/api/v1/posts/${p.id}`, v);
      const want = model.postVisible(v, p) ? 200 : 404;
      if (reply.status !== want) return [`status ${reply.status}, expected ${want}`];
      if (want === 404) return [];
      const out = reply.body.id === p.id ? [] : [`id ${reply.body.id}`];
      return [...out, ...userDiff(reply.body.author, v, p.author)];
    },
  });

  const requestsRead = (v: number, limit = pageSize(LIST_PAGE)) => ({
    describe: `GET /me/follow-requests?limit=${limit} as ${label(v)}`,
    run: async () => {
      const got = await walk<any>('/api/v1/me/follow-requests', v, limit, 'users');
      if (got.status !== 200) return [`status ${got.status}`];
      const out = [...got.problems];
      const want = model.requesters(v).map(label).sort();
      const gotLabels = got.items.map((u) => label(indexOf.get(u.id) ?? -1)).sort();
      if (JSONish(gotLabels) !== JSONish(want))
        out.push(`requesters ${JSONish(gotLabels)}, expected ${JSONish(want)}`);
      for (const u of got.items) if (indexOf.has(u.id)) out.push(...userDiff(u, v, indexOf.get(u.id)!));
      return out;
    },
  });

  const anyOf = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(rng.next() * xs.length)];
  const ownerKinds = ['profile', 'posts', 'followers', 'following'] as const;
  const contentKinds = ['posts', 'followers', 'following'] as const;
  const ownerRead = (v: Viewer, o: number, kind: (typeof ownerKinds)[number]) =>
    kind === 'profile' ? profileRead(v, o) : kind === 'posts' ? postsRead(v, o) : listRead(v, o, kind);

  for (const v of viewers) {
    const reads = new Map<string, Read>();
    const add = (read: Read | undefined) => read && reads.set(read.describe, read);
    const others = model.users().filter((o) => o !== v);
    // The interesting pairs, always: a block either way (any read must be a 404), someone the
    // viewer has blocked (or is blocked by) inside a list the viewer can see (must be left out),
    // a pending request either way, a private account the viewer follows and one it does not.
    if (v !== null) {
      for (const o of others) {
        if (model.blockedEitherWay(v, o)) {
          add(ownerRead(v, o, anyOf(ownerKinds)!));
          const lister = anyOf(
            others.filter(
              (x) => x !== o && (model.accepted(o, x) || model.accepted(x, o)) && model.contentVisible(v, x),
            ),
          );
          if (lister !== undefined)
            add(listRead(v, lister, model.accepted(o, lister) ? 'followers' : 'following'));
        }
        if (model.pending(v, o)) add(ownerRead(v, o, anyOf(['profile', 'posts'] as const)!));
      }
      if (model.requesters(v).length) add(requestsRead(v));
      const followed = anyOf(others.filter((o) => model.isPrivate[o] && model.accepted(v, o)));
      if (followed !== undefined) add(ownerRead(v, followed, anyOf(contentKinds)!));
    }
    const stranger = anyOf(others.filter((o) => model.isPrivate[o] && (v === null || !model.accepted(v, o))));
    if (stranger !== undefined) add(ownerRead(v, stranger, anyOf(contentKinds)!));
    // Then random reads (any owner, the viewer included; any post, deleted ones more often).
    const deleted = model.posts.filter((p) => p.deleted);
    for (let tries = 0; reads.size < READS_PER_VIEWER && tries < 4 * READS_PER_VIEWER; tries++) {
      const dice = rng.next();
      if (dice < 0.25 && model.posts.length)
        add(postRead(v, anyOf(deleted.length && rng.next() < 0.3 ? deleted : model.posts)!));
      else if (dice < 0.3 && v !== null) add(requestsRead(v));
      else add(ownerRead(v, anyOf(model.users())!, anyOf(ownerKinds)!));
    }
    checks.push(...reads.values());
  }

  const problems: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL_READS }, async () => {
      while (next < checks.length) {
        const check = checks[next++]!;
        const found = await check.run();
        stats.reads++;
        for (const f of found) problems.push(`${check.describe}: ${f}`);
      }
    }),
  );
  if (problems.length) fail(`${problems.length} reads differ from the model`, problems.slice(0, 12));
  stats.worlds++;
  stats.users += n;
  stats.checkMs += performance.now() - checkStarted;
}

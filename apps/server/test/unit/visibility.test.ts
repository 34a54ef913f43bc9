import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/graph/visibility.sql.js';
import { allows, anonymousFacts, postVisible, rules, type Facts } from '../../src/graph/visibility.js';

const base: Facts = {
  isOwner: false,
  ownerPublic: true,
  followsOwner: false,
  ownerBlocksViewer: false,
  viewerBlocksOwner: false,
};

describe('the visibility policy', () => {
  it.each([
    ['a stranger, public owner', {}, true, true],
    ['a stranger, private owner', { ownerPublic: false }, true, false],
    ['an approved follower, private owner', { ownerPublic: false, followsOwner: true }, true, true],
    ['the owner, private', { ownerPublic: false, isOwner: true }, true, true],
    ['blocked by the owner', { ownerBlocksViewer: true }, false, false],
    ['blocking the owner', { viewerBlocksOwner: true }, false, false],
    ['a follower who is blocked', { followsOwner: true, ownerBlocksViewer: true }, false, false],
  ] as const)('%s: profile %s, content %s', (_name, overrides, profile, content) => {
    const facts = { ...base, ...overrides };
    expect(allows('profile', facts)).toBe(profile);
    expect(allows('content', facts)).toBe(content);
  });

  it('drafts are the author\u2019s, deleted posts nobody\u2019s', () => {
    expect(postVisible({ status: 'processing', deleted: false }, base)).toBe(false);
    expect(postVisible({ status: 'failed', deleted: false }, { ...base, isOwner: true })).toBe(true);
    expect(postVisible({ status: 'published', deleted: true }, { ...base, isOwner: true })).toBe(false);
    expect(postVisible({ status: 'published', deleted: false }, anonymousFacts(true))).toBe(true);
    expect(postVisible({ status: 'published', deleted: false }, anonymousFacts(false))).toBe(false);
  });

  it('compiles every rule to SQL from the same tree', () => {
    const owner = sql.ref('u.id');
    const ownerPrivate = sql.ref('u.is_private');
    for (const subject of Object.keys(rules) as (keyof typeof rules)[]) {
      const anonymous = compile(rules[subject], { owner, ownerPrivate, viewer: null }).compile(dummy).sql;
      const viewer = compile(rules[subject], { owner, ownerPrivate, viewer: '42' }).compile(dummy).sql;
      expect(anonymous).not.toContain('blocks'); // an anonymous viewer can be in no block
      expect(viewer).toContain('blocks');
    }
    expect(() => compile(rules.content, { owner, viewer: '42' })).toThrow(/is_private/);
  });
});

/** Kysely without a database: compiles queries, runs nothing. */
const dummy = new Kysely<Record<string, never>>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

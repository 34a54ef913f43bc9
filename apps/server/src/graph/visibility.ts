/**
 * Who may see what: the one access-control policy of Glimpse. Every read path (profiles,
 * posts, lists, and later feeds, search, notifications and media URLs) asks these rules, either
 * through `allows` (in code) or through the SQL predicates compiled from the very same rule
 * trees (visibility.sql.ts), so the two cannot drift apart.
 *
 * | what                          | visible to                                                         |
 * |-------------------------------|--------------------------------------------------------------------|
 * | a profile (name, bio, counts) | everyone, unless either side blocks the other                       |
 * | a user's posts and lists      | the owner; approved followers; everyone if the account is public    |
 * |                               | — and never across a block, either way                              |
 * | a post that is not published  | its author only (processing, failed)                                |
 * | a deleted post                | nobody                                                              |
 * Mutes only thin the muter's feed; they hide nothing else.
 */

/** Facts about one (viewer, owner) pair. The viewer is null when anonymous. */
export interface Facts {
  /** The viewer is the owner. */
  readonly isOwner: boolean;
  readonly ownerPublic: boolean;
  /** The viewer follows the owner, approved (a pending request is not enough). */
  readonly followsOwner: boolean;
  readonly ownerBlocksViewer: boolean;
  readonly viewerBlocksOwner: boolean;
}

export type Fact = keyof Facts;
export type Rule =
  Fact | { readonly all: readonly Rule[] } | { readonly any: readonly Rule[] } | { readonly not: Rule };

const noBlockEitherWay: Rule = { all: [{ not: 'ownerBlocksViewer' }, { not: 'viewerBlocksOwner' }] };

/** The policy, as data. */
export const rules = {
  /** GET /users/{id}, /users/lookup; a user appearing inside another object. */
  profile: noBlockEitherWay,
  /** A user's published posts, and their follower / following lists. */
  content: { all: [noBlockEitherWay, { any: ['isOwner', 'ownerPublic', 'followsOwner'] }] },
} as const satisfies Record<string, Rule>;

export type Subject = keyof typeof rules;

export function evaluate(rule: Rule, facts: Facts): boolean {
  if (typeof rule === 'string') return facts[rule];
  if ('all' in rule) return rule.all.every((r) => evaluate(r, facts));
  if ('any' in rule) return rule.any.some((r) => evaluate(r, facts));
  return !evaluate(rule.not, facts);
}

export function allows(subject: Subject, facts: Facts): boolean {
  return evaluate(rules[subject], facts);
}

/** Facts for an anonymous viewer: only public accounts' content is visible to them. */
export function anonymousFacts(ownerPublic: boolean): Facts {
  return {
    isOwner: false,
    ownerPublic,
    followsOwner: false,
    ownerBlocksViewer: false,
    viewerBlocksOwner: false,
  };
}

/** A post's own state on top of its author's rule: drafts are the author's, deleted posts nobody's. */
export function postVisible(
  post: { status: 'processing' | 'published' | 'failed'; deleted: boolean },
  facts: Facts,
): boolean {
  if (post.deleted) return false;
  if (post.status !== 'published') return facts.isOwner;
  return allows('content', facts);
}

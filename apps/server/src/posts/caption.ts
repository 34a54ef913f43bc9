/**
 * Hashtags and mentions in a caption. A hashtag is `#` then Unicode letters, digits or `_`
 * (not inside a word, so `C#` and `a#b` are not tags), stored NFKC-normalised and lower-cased
 * so `#Café`, `#CAFÉ` and `#café` are one tag. A mention is `@` then a username's characters;
 * only mentions of existing accounts are kept (the service resolves them).
 */
export const MAX_HASHTAGS = 30;
export const MAX_MENTIONS = 20;
const HASHTAG = /(?<![\p{L}\p{N}_&#])#([\p{L}\p{M}\p{N}_]{1,100})/gu;
const MENTION = /(?<![\p{L}\p{N}_.@])@([A-Za-z0-9._]{1,30})/gu;

export interface ParsedCaption {
  /** Distinct, normalised, in order of first appearance. */
  readonly hashtags: string[];
  /** Distinct candidate usernames (lower-case), in order of first appearance. */
  readonly mentions: string[];
}

export function normaliseHashtag(tag: string): string {
  return tag.normalize('NFKC').toLowerCase();
}

export function parseCaption(caption: string): ParsedCaption {
  const hashtags = new Set<string>();
  for (const [, tag] of caption.matchAll(HASHTAG)) {
    // A tag of digits only (#1) is a number, not a topic.
    if (!/^\d+$/.test(tag!)) hashtags.add(normaliseHashtag(tag!));
  }
  const mentions = new Set<string>();
  for (const [, name] of caption.matchAll(MENTION)) {
    // "@ada." at the end of a sentence mentions ada.
    const username = name!.replace(/\.+$/, '').toLowerCase();
    if (username) mentions.add(username);
  }
  return { hashtags: [...hashtags], mentions: [...mentions] };
}

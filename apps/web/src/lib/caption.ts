/**
 * Splits a caption or comment into plain text, #hashtags and @mentions so each can become a
 * link without ever rendering HTML. The patterns are the server's (apps/server/src/posts/
 * caption.ts); `known` narrows links to what the server actually kept (a mention of an account
 * that does not exist stays plain text).
 */
export type CaptionToken =
  | { kind: 'text'; text: string }
  | { kind: 'hashtag'; text: string; name: string }
  | { kind: 'mention'; text: string; username: string };

const TOKEN = /(?<![\p{L}\p{N}_&#])#([\p{L}\p{M}\p{N}_]{1,100})|(?<![\p{L}\p{N}_.@])@([A-Za-z0-9._]{1,30})/gu;

export function tokenizeCaption(
  text: string,
  known?: { hashtags?: readonly string[]; mentions?: readonly string[] },
): CaptionToken[] {
  const tokens: CaptionToken[] = [];
  let last = 0;
  const push = (token: CaptionToken, start: number) => {
    if (start > last) tokens.push({ kind: 'text', text: text.slice(last, start) });
    tokens.push(token);
    last = start + token.text.length;
  };
  for (const match of text.matchAll(TOKEN)) {
    const [, tag, mention] = match;
    if (tag !== undefined) {
      const name = tag.normalize('NFKC').toLowerCase();
      if (/^\d+$/.test(tag) || (known?.hashtags && !known.hashtags.includes(name))) continue;
      push({ kind: 'hashtag', text: `#${tag}`, name }, match.index);
    } else if (mention !== undefined) {
      const word = mention.replace(/\.+$/, ''); // "@ada." at a sentence's end mentions ada
      const username = word.toLowerCase();
      if (!word || (known?.mentions && !known.mentions.includes(username))) continue;
      push({ kind: 'mention', text: `@${word}`, username }, match.index);
    }
  }
  if (last < text.length) tokens.push({ kind: 'text', text: text.slice(last) });
  return tokens;
}

import { Link } from 'wouter';
import { tokenizeCaption } from '../lib/caption.js';

/** Text with its #hashtags and @mentions as links; plain React text nodes, never HTML. */
export function RichText({
  text,
  hashtags,
  mentions,
}: {
  text: string;
  hashtags?: readonly string[];
  mentions?: readonly string[];
}) {
  return (
    <>
      {tokenizeCaption(text, { hashtags, mentions }).map((token, i) =>
        token.kind === 'hashtag' ? (
          <Link key={i} href={`/tags/${encodeURIComponent(token.name)}`} className="tag">
            {token.text}
          </Link>
        ) : token.kind === 'mention' ? (
          <Link key={i} href={`/u/${token.username}`} className="tag">
            {token.text}
          </Link>
        ) : (
          <span key={i}>{token.text}</span>
        ),
      )}
    </>
  );
}

import type { Comment, Post } from '@glimpse/contract';
import { COMMENT_MAX } from '@glimpse/contract/limits';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { api } from '../../api/index.js';
import { patchCachedPost } from '../../components/useEngagement.js';
import { humanError } from '../../lib/errors.js';
import { TextArea, textLength } from '../../components/TextArea.js';

/** The reply box: Enter sends, Shift+Enter starts a new line, one send at a time. */
export function CommentForm({ post, onAdded }: { post: Post; onAdded: (comment: Comment) => void }) {
  const queryClient = useQueryClient();
  const [body, setBody] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const length = textLength(body);
  const canSend = length > 0 && length <= COMMENT_MAX && !sending;

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    if (!canSend) return;
    setSending(true);
    setError(null);
    try {
      const comment = await api.comment(post.id, body.trim());
      onAdded(comment);
      const current = queryClient.getQueryData<Post>(['post', post.id]) ?? post;
      patchCachedPost(queryClient, post.id, { commentCount: current.commentCount + 1 });
      setBody('');
    } catch (err) {
      setError(humanError(err));
    } finally {
      setSending(false);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  }

  return (
    <form className="comment-form" onSubmit={(e) => void submit(e)}>
      <TextArea
        label="Add a comment"
        hideLabel
        max={COMMENT_MAX}
        countFrom={COMMENT_MAX - 200}
        value={body}
        rows={1}
        placeholder="Add a comment…"
        readOnly={sending}
        onChange={(event) => setBody(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="primary" disabled={!canSend}>
        {sending ? 'Posting…' : 'Post'}
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

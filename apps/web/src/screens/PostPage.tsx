import type { Post } from '@glimpse/contract';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'wouter';
import { api, ApiError } from '../api/index.js';
import { EmptyState, ErrorNotice, Loading } from '../components/ErrorNotice.js';
import { LoadMore, usePaged } from '../components/Paged.js';
import { PostCard } from '../components/PostCard.js';
import { UserRow } from '../components/UserRow.js';
import { ChevronLeft } from '../components/icons.js';
import { Comments } from './post/Comments.js';
import './post/post.css';

/** One post with all its photos and the full comment thread. */
export function PostPage() {
  const { id } = useParams<{ id: string }>();
  const query = useQuery({
    queryKey: ['post', id],
    queryFn: () => api.post(id),
    // An own post still processing is shown as such and checked until it is out.
    refetchInterval: (q) => (q.state.data?.status === 'processing' ? 2000 : false),
  });

  if (query.isPending) return <Loading />;
  if (query.isError) return <PostLoadError error={query.error} onRetry={() => void query.refetch()} />;
  return <PostView post={query.data} />;
}

function PostView({ post }: { post: Post }) {
  return (
    <div className="post-page">
      <h1 className="visually-hidden">Post by {post.author.username}</h1>
      <PostCard post={post} onPostPage eager />
      <Comments post={post} />
    </div>
  );
}

/** Absent, deleted and private all answer 404; the sentence never says which. */
function PostLoadError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  if (error instanceof ApiError && error.status === 404) {
    return (
      <EmptyState title="This post is not available">
        <p className="muted">It may have been deleted, or it is only visible to some people.</p>
        <Link href="/" className="button-link">
          Go home
        </Link>
      </EmptyState>
    );
  }
  return <ErrorNotice error={error} onRetry={onRetry} />;
}

/** Who liked a post, newest first. */
export function Likers() {
  const { id } = useParams<{ id: string }>();
  const query = usePaged(
    ['likers', id],
    (cursor) => api.likers(id, cursor),
    (page) => page.users,
  );

  return (
    <div className="likers">
      <header className="page-header">
        <Link href={`/p/${id}`} className="icon-button" aria-label="Back to post">
          <ChevronLeft />
        </Link>
        <h1>Likes</h1>
      </header>
      {query.isPending ? (
        <Loading />
      ) : query.isError && query.items.length === 0 ? (
        query.error instanceof ApiError && query.error.status === 404 ? (
          <EmptyState title="This post is not available" />
        ) : (
          <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />
        )
      ) : query.items.length === 0 ? (
        <EmptyState title="No likes yet">
          <p className="muted">When people like this post, they will show up here.</p>
        </EmptyState>
      ) : (
        <>
          <ul className="user-list" aria-label="People who liked this post">
            {query.items.map((user) => (
              <UserRow key={user.id} user={user} />
            ))}
          </ul>
          <LoadMore query={query} />
        </>
      )}
    </div>
  );
}

import type { Post } from '@glimpse/contract';
import { Link } from 'wouter';
import { altTextFor, GRID_SIZES, gridSrcSet } from '../lib/images.js';
import { Photo } from './Photo.js';
import { StackIcon } from './icons.js';

/** Three square thumbs per row (profile, hashtag, explore, saved), each linking to its post. */
export function PostGrid({ posts, label }: { posts: Post[]; label: string }) {
  return (
    <ul className="post-grid" aria-label={label}>
      {posts.map((post, i) => {
        const media = post.media[0]!;
        return (
          <li key={post.id}>
            <Link href={`/p/${post.id}`} className="grid-cell">
              <Photo
                media={media}
                alt={altTextFor(post, 0)}
                src={media.variants?.thumb.url}
                srcSet={gridSrcSet(media)}
                sizes={GRID_SIZES}
                aspect={1}
                eager={i < 6}
              />
              {post.media.length > 1 && (
                <span className="grid-badge">
                  <StackIcon />
                  <span className="visually-hidden">{post.media.length} photos</span>
                </span>
              )}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

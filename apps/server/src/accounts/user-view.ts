import type { Me, User } from '@glimpse/contract';
import { toMediaRef, type MediaUrls } from '../media/media-view.js';
import type { UserRecord } from './accounts.repo.js';

/** The public User object of API.md (without `relationship`, which depends on the viewer). */
export function toUser(record: UserRecord, urls: MediaUrls): User {
  return {
    id: record.id,
    username: record.username,
    displayName: record.display_name,
    bio: record.bio,
    avatar: record.avatar ? toMediaRef(record.avatar, urls) : null,
    isPrivate: record.is_private,
    postCount: record.post_count,
    followerCount: record.follower_count,
    followingCount: record.following_count,
    createdAt: record.created_at.toISOString(),
  };
}

export function toMe(record: UserRecord, urls: MediaUrls): Me {
  return { ...toUser(record, urls), email: record.email };
}

import type {
  AuthResult,
  BlocksPage,
  Comment,
  CommentsPage,
  CreatePostBody,
  FollowStatus,
  LikeState,
  MediaEnvelope,
  MediaRef,
  Me,
  NotificationsPage,
  Post,
  PostsPage,
  SaveState,
  SearchPage,
  SearchType,
  TrendingPage,
  UpdateMeBody,
  UpdatePostBody,
  UploadSlot,
  User,
  UsersPage,
} from '@glimpse/contract';
import {
  ApiError,
  currentAccessToken,
  forget,
  refreshSession,
  remember,
  send,
  storedRefreshToken,
} from './client.js';

/**
 * The typed client of API.md, one function per endpoint. Types come from @glimpse/contract,
 * the schemas the server validates with, so a renamed field fails the web build instead of a
 * user's request.
 */
const enc = encodeURIComponent;

/** `?limit=&cursor=` plus any extra parameters, skipping the unset ones. */
function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export type Cursor = string | null | undefined;

export const api = {
  // Accounts and sessions
  async register(username: string, email: string, password: string): Promise<Me> {
    const result = await send<AuthResult>('POST', '/auth/register', { username, email, password }, false);
    remember(result);
    return result.user;
  },
  async login(login: string, password: string): Promise<Me> {
    const result = await send<AuthResult>('POST', '/auth/login', { login, password }, false);
    remember(result);
    return result.user;
  },
  async logout(): Promise<void> {
    const refreshToken = storedRefreshToken();
    forget();
    if (refreshToken) await send('POST', '/auth/logout', { refreshToken }, false).catch(() => {});
  },
  /**
   * The signed-in user after a reload, or null when there is no session to resume. A live
   * access token from before the reload is used as is (a 401 refreshes once inside send).
   */
  async resume(): Promise<Me | null> {
    if (!storedRefreshToken()) return null;
    if (!currentAccessToken() && !(await refreshSession())) return null;
    try {
      return await send<Me>('GET', '/me');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },
  me: () => send<Me>('GET', '/me'),
  updateMe: (patch: UpdateMeBody) => send<Me>('PATCH', '/me', patch),
  changePassword: (currentPassword: string, newPassword: string) =>
    send<void>('POST', '/me/password', { currentPassword, newPassword }),

  // Media
  createUpload: (contentType: string, size: number) =>
    send<UploadSlot>('POST', '/media/uploads', { contentType, size }),
  completeUpload: (id: string) => send<MediaEnvelope>('POST', `/media/${enc(id)}/complete`),
  media: (id: string) => send<MediaRef>('GET', `/media/${enc(id)}`),

  // Posts
  createPost: (body: CreatePostBody) => send<Post>('POST', '/posts', body),
  post: (id: string) => send<Post>('GET', `/posts/${enc(id)}`),
  updatePost: (id: string, patch: UpdatePostBody) => send<Post>('PATCH', `/posts/${enc(id)}`, patch),
  deletePost: (id: string) => send<void>('DELETE', `/posts/${enc(id)}`),
  userPosts: (userId: string, cursor?: Cursor, limit = 24) =>
    send<PostsPage>('GET', `/users/${enc(userId)}/posts${query({ limit, cursor })}`),

  // People and the social graph
  lookup: (username: string) => send<User>('GET', `/users/lookup${query({ username })}`),
  user: (id: string) => send<User>('GET', `/users/${enc(id)}`),
  follow: (id: string) => send<FollowStatus>('POST', `/users/${enc(id)}/follow`),
  unfollow: (id: string) => send<FollowStatus>('DELETE', `/users/${enc(id)}/follow`),
  followers: (id: string, cursor?: Cursor) =>
    send<UsersPage>('GET', `/users/${enc(id)}/followers${query({ cursor })}`),
  following: (id: string, cursor?: Cursor) =>
    send<UsersPage>('GET', `/users/${enc(id)}/following${query({ cursor })}`),
  followRequests: (cursor?: Cursor) => send<UsersPage>('GET', `/me/follow-requests${query({ cursor })}`),
  approveRequest: (id: string) => send<void>('POST', `/me/follow-requests/${enc(id)}/approve`),
  rejectRequest: (id: string) => send<void>('POST', `/me/follow-requests/${enc(id)}/reject`),
  blocks: (cursor?: Cursor, limit = 50) => send<BlocksPage>('GET', `/me/blocks${query({ cursor, limit })}`),
  block: (id: string) => send<void>('POST', `/users/${enc(id)}/block`),
  unblock: (id: string) => send<void>('DELETE', `/users/${enc(id)}/block`),
  mute: (id: string) => send<void>('POST', `/users/${enc(id)}/mute`),
  unmute: (id: string) => send<void>('DELETE', `/users/${enc(id)}/mute`),

  // The home feed
  feed: (cursor?: Cursor, limit = 10) => send<PostsPage>('GET', `/feed${query({ limit, cursor })}`),

  // Engagement
  like: (postId: string) => send<LikeState>('POST', `/posts/${enc(postId)}/like`),
  unlike: (postId: string) => send<LikeState>('DELETE', `/posts/${enc(postId)}/like`),
  likers: (postId: string, cursor?: Cursor) =>
    send<UsersPage>('GET', `/posts/${enc(postId)}/likes${query({ cursor })}`),
  comment: (postId: string, body: string) =>
    send<Comment>('POST', `/posts/${enc(postId)}/comments`, { body }),
  comments: (postId: string, cursor?: Cursor) =>
    send<CommentsPage>('GET', `/posts/${enc(postId)}/comments${query({ cursor, limit: 50 })}`),
  deleteComment: (id: string) => send<void>('DELETE', `/comments/${enc(id)}`),
  save: (postId: string) => send<SaveState>('POST', `/posts/${enc(postId)}/save`),
  unsave: (postId: string) => send<SaveState>('DELETE', `/posts/${enc(postId)}/save`),
  saved: (cursor?: Cursor) => send<PostsPage>('GET', `/me/saved${query({ cursor, limit: 24 })}`),

  // Discovery
  search: (type: SearchType, q: string, cursor?: Cursor, limit = 20) =>
    send<SearchPage>('GET', `/search${query({ type, q, cursor, limit })}`),
  hashtagPosts: (name: string, cursor?: Cursor) =>
    send<PostsPage>('GET', `/hashtags/${enc(name)}/posts${query({ cursor, limit: 24 })}`),
  explore: (cursor?: Cursor) => send<PostsPage>('GET', `/explore${query({ cursor, limit: 24 })}`),
  trending: (limit = 10) => send<TrendingPage>('GET', `/hashtags/trending${query({ limit })}`),

  // Notifications
  notifications: (cursor?: Cursor, limit = 20) =>
    send<NotificationsPage>('GET', `/notifications${query({ cursor, limit })}`),
  markRead: (upTo: string) => send<void>('POST', '/notifications/read', { upTo }),
};

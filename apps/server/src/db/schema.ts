import type { ColumnType, Generated } from 'kysely';

/** bigint columns travel as decimal strings (both adapters parse int8 to string). */
type Int8 = ColumnType<string, string | bigint, string | bigint>;
type GeneratedInt8 = ColumnType<string, string | bigint | undefined, never>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = ColumnType<unknown, string, string>;

export type FeedMode = 'push' | 'pull' | 'demoting';

export interface UsersTable {
  id: GeneratedInt8;
  username: string;
  email: string;
  password_hash: string;
  display_name: Generated<string>;
  bio: Generated<string>;
  avatar_media_id: ColumnType<string | null, string | null | undefined, string | null>;
  is_private: Generated<boolean>;
  post_count: Generated<number>;
  follower_count: Generated<number>;
  following_count: Generated<number>;
  feed_read_at: NullableTimestamp;
  feed_mode: ColumnType<FeedMode, FeedMode | undefined, FeedMode>;
  /** Notifications with ids at or below this are read (0: none). */
  notifications_read_upto: ColumnType<string, string | undefined, string>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface MediaTable {
  id: Int8;
  owner_id: Int8;
  status: 'uploading' | 'processing' | 'ready' | 'failed';
  content_type: string;
  size_bytes: Int8;
  width: ColumnType<number | null, number | null | undefined, number | null>;
  height: ColumnType<number | null, number | null | undefined, number | null>;
  blurhash: ColumnType<string | null, string | null | undefined, string | null>;
  dominant_color: ColumnType<string | null, string | null | undefined, string | null>;
  error_code: ColumnType<string | null, string | null | undefined, string | null>;
  error_message: ColumnType<string | null, string | null | undefined, string | null>;
  sha256: ColumnType<Uint8Array | null, Buffer | null | undefined, Buffer | null>;
  phash: ColumnType<string | null, string | null | undefined, string | null>;
  rendition_source_id: ColumnType<string | null, string | null | undefined, string | null>;
  requeues: Generated<number>;
  completed_at: NullableTimestamp;
  processed_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface SessionsTable {
  id: Int8;
  user_id: Int8;
  created_at: CreatedAt;
  refreshed_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
  user_agent: string | null;
  ip: string | null;
}

export interface RefreshTokensTable {
  token_hash: Buffer;
  session_id: Int8;
  user_id: Int8;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface OutboxTable {
  id: GeneratedInt8;
  topic: string;
  aggregate_id: Int8;
  payload: Json;
  created_at: CreatedAt;
  claimed_until: NullableTimestamp;
  published_at: NullableTimestamp;
}

export interface QueueJobsTable {
  id: GeneratedInt8;
  queue: string;
  message_id: string;
  topic: string;
  payload: Json;
  attempts: Generated<number>;
  run_at: Timestamp;
  locked_until: NullableTimestamp;
  last_error: string | null;
  dead_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface PostsTable {
  id: Int8;
  author_id: Int8;
  caption: Generated<string>;
  location: ColumnType<string | null, string | null | undefined, string | null>;
  status: 'processing' | 'published' | 'failed';
  error_code: ColumnType<string | null, string | null | undefined, string | null>;
  like_count: Generated<number>;
  comment_count: Generated<number>;
  created_at: CreatedAt;
  published_at: NullableTimestamp;
  edited_at: NullableTimestamp;
  deleted_at: NullableTimestamp;
}

export interface PostMediaTable {
  post_id: Int8;
  position: number;
  media_id: Int8;
  alt_text: string | null;
}

export interface HashtagsTable {
  id: GeneratedInt8;
  name: string;
  post_count: Generated<number>;
  created_at: CreatedAt;
}

export interface PostHashtagsTable {
  post_id: Int8;
  hashtag_id: Int8;
}

export interface PostMentionsTable {
  post_id: Int8;
  user_id: Int8;
}

export interface FollowsTable {
  follower_id: Int8;
  followee_id: Int8;
  id: Int8;
  state: 'accepted' | 'pending';
  created_at: CreatedAt;
}

export interface BlocksTable {
  blocker_id: Int8;
  blocked_id: Int8;
  created_at: CreatedAt;
}

export interface MutesTable {
  muter_id: Int8;
  muted_id: Int8;
  created_at: CreatedAt;
}

export interface ScheduledTicksTable {
  topic: string;
  slot: Date | string;
  claimed_at: CreatedAt;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: CreatedAt;
}

export interface LikesTable {
  post_id: Int8;
  user_id: Int8;
  id: Int8;
  created_at: CreatedAt;
}

export interface CommentsTable {
  post_id: Int8;
  id: Int8;
  author_id: Int8;
  body: string;
  created_at: CreatedAt;
}

export interface SavesTable {
  user_id: Int8;
  post_id: Int8;
  id: Int8;
  created_at: CreatedAt;
}

export interface ExploreGenerationsTable {
  generation: GeneratedInt8;
  computed_at: CreatedAt;
}

export interface ExploreRankingTable {
  generation: Int8;
  rank: number;
  post_id: Int8;
  score: number;
}

export interface TrendingHashtagsTable {
  rank: number;
  hashtag_id: Int8;
  window_count: number;
  score: number;
  computed_at: CreatedAt;
}

export type NotificationType =
  'like' | 'comment' | 'follow' | 'follow_request' | 'follow_accepted' | 'mention';

export interface NotificationsTable {
  recipient_id: Int8;
  id: Int8;
  type: NotificationType;
  actor_id: Int8;
  post_id: ColumnType<string | null, string | null | undefined, string | null>;
  comment_id: ColumnType<string | null, string | null | undefined, string | null>;
  dedupe_key: string;
  created_at: CreatedAt;
}

export interface Database {
  users: UsersTable;
  media: MediaTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  outbox: OutboxTable;
  queue_jobs: QueueJobsTable;
  scheduled_ticks: ScheduledTicksTable;
  posts: PostsTable;
  post_media: PostMediaTable;
  hashtags: HashtagsTable;
  post_hashtags: PostHashtagsTable;
  post_mentions: PostMentionsTable;
  follows: FollowsTable;
  blocks: BlocksTable;
  mutes: MutesTable;
  likes: LikesTable;
  comments: CommentsTable;
  saves: SavesTable;
  explore_generations: ExploreGenerationsTable;
  explore_ranking: ExploreRankingTable;
  trending_hashtags: TrendingHashtagsTable;
  notifications: NotificationsTable;
  schema_migrations: SchemaMigrationsTable;
}

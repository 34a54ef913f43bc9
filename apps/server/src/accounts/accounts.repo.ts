import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import type { MediaRow } from '../media/media-view.js';

/** A user row with its avatar joined in: everything the User and Me views need. */
export interface UserRecord {
  id: string;
  username: string;
  email: string;
  display_name: string;
  bio: string;
  is_private: boolean;
  post_count: number;
  follower_count: number;
  following_count: number;
  created_at: Date;
  avatar: MediaRow | null;
}

export interface Credentials {
  id: string;
  password_hash: string;
}

function selectUsers(db: Executor) {
  return db
    .selectFrom('users')
    .leftJoin('media', 'media.id', 'users.avatar_media_id')
    .select([
      'users.id',
      'users.username',
      'users.email',
      'users.display_name',
      'users.bio',
      'users.is_private',
      'users.post_count',
      'users.follower_count',
      'users.following_count',
      'users.created_at',
      'media.id as avatar_id',
      'media.status as avatar_status',
      'media.width as avatar_width',
      'media.height as avatar_height',
      'media.blurhash as avatar_blurhash',
      'media.dominant_color as avatar_dominant_color',
      'media.error_code as avatar_error_code',
      'media.error_message as avatar_error_message',
      'media.rendition_source_id as avatar_rendition_source_id',
    ]);
}

type JoinedRow = Awaited<ReturnType<ReturnType<typeof selectUsers>['executeTakeFirstOrThrow']>>;

function toRecord(row: JoinedRow): UserRecord {
  const { avatar_id, avatar_status, avatar_width, avatar_height, avatar_blurhash, avatar_dominant_color } =
    row;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    display_name: row.display_name,
    bio: row.bio,
    is_private: row.is_private,
    post_count: row.post_count,
    follower_count: row.follower_count,
    following_count: row.following_count,
    created_at: row.created_at,
    avatar:
      avatar_id && avatar_status
        ? {
            id: avatar_id,
            status: avatar_status,
            width: avatar_width,
            height: avatar_height,
            blurhash: avatar_blurhash,
            dominant_color: avatar_dominant_color,
            error_code: row.avatar_error_code,
            error_message: row.avatar_error_message,
            rendition_source_id: row.avatar_rendition_source_id,
            // An avatar is its owner's media: private accounts get signed URLs.
            owner_private: row.is_private,
          }
        : null,
  };
}

/** Many users in one query (for lists and hydration); absent ids are simply missing. */
export async function findUsersByIds(db: Executor, ids: readonly string[]): Promise<Map<string, UserRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await selectUsers(db)
    .where('users.id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((row) => [row.id, toRecord(row)]));
}

export async function findUserById(db: Executor, id: string): Promise<UserRecord | null> {
  const row = await selectUsers(db).where('users.id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** `login` is a username or an email address; both match case-insensitively. */
export async function findCredentials(db: Executor, login: string): Promise<Credentials | null> {
  const query = db.selectFrom('users').select(['id', 'password_hash']);
  const row = login.includes('@')
    ? await query.where(sql<string>`lower(email)`, '=', login.toLowerCase()).executeTakeFirst()
    : await query.where('username', '=', login.toLowerCase()).executeTakeFirst();
  return row ?? null;
}

export async function findPasswordHash(db: Executor, userId: string): Promise<string | null> {
  const row = await db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', userId)
    .executeTakeFirst();
  return row?.password_hash ?? null;
}

export async function insertUser(
  db: Executor,
  user: { username: string; email: string; passwordHash: string },
): Promise<string> {
  const { id } = await db
    .insertInto('users')
    .values({ username: user.username, email: user.email, password_hash: user.passwordHash })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function usernameOrEmailTaken(
  db: Executor,
  username: string,
  email: string,
): Promise<'username' | 'email' | null> {
  const rows = await db
    .selectFrom('users')
    .select(['username'])
    .where((eb) =>
      eb.or([eb('username', '=', username), eb(sql<string>`lower(email)`, '=', email.toLowerCase())]),
    )
    .limit(2)
    .execute();
  if (rows.some((r) => r.username === username)) return 'username';
  return rows.length > 0 ? 'email' : null;
}

export async function updateProfile(
  db: Executor,
  userId: string,
  patch: { display_name?: string; bio?: string; is_private?: boolean; avatar_media_id?: string | null },
): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...patch, updated_at: sql<Date>`now()` })
    .where('id', '=', userId)
    .execute();
}

/** Whether the account is private, with its row locked for the rest of the transaction. */
export async function lockPrivacy(db: Executor, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('is_private')
    .where('id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  return row?.is_private ?? false;
}

export async function updatePasswordHash(db: Executor, userId: string, hash: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: hash, updated_at: sql<Date>`now()` })
    .where('id', '=', userId)
    .execute();
}

export async function findOwnedMedia(
  db: Executor,
  ownerId: string,
  mediaId: string,
): Promise<{ status: MediaRow['status'] } | null> {
  const row = await db
    .selectFrom('media')
    .select('status')
    .where('id', '=', mediaId)
    .where('owner_id', '=', ownerId)
    .executeTakeFirst();
  return row ?? null;
}

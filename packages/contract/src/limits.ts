/**
 * Plain limits and enumerations of the contract, with no schema library behind them, so the web
 * client can import them without bundling TypeBox (`@glimpse/contract/limits`).
 */

export const PASSWORD_MIN = 8;

export const PASSWORD_MAX = 128;

export const SEARCH_QUERY_MAX = 100;

export const HASHTAG_NAME_MAX = 100;

export const TRENDING_MAX = 50;

/** Longest comment body, in code points after trimming (the same bound as a caption). */
export const COMMENT_MAX = 2_200;

/** Photo types the server accepts (it checks the bytes too, not just this declaration). */
export const ACCEPTED_IMAGE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/heic',
  'image/heif',
  'image/heic-sequence',
  'image/heif-sequence',
  'image/avif',
] as const;

/** 50 MiB. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** Unread notifications are counted up to this (a badge shows "99+"): every counted row passes the visibility filter, so the cap bounds the cost of each list read. */
export const UNREAD_COUNT_CAP = 99;

export const CAPTION_MAX = 2_200;

export const ALT_TEXT_MAX = 1_500;

export const LOCATION_MAX = 100;

export const MEDIA_PER_POST_MAX = 10;

/** 1-30 of [a-z0-9._]; accepted in any case and stored lower-cased (usernames are case-insensitive). */
export const USERNAME_PATTERN = '^[A-Za-z0-9._]{1,30}$';

export const DISPLAY_NAME_MAX = 64;

export const BIO_MAX = 150;

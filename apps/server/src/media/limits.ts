/** Limits of the media flow (API.md: up to 50 MiB and 100 megapixels). */

/** Largest original accepted, in bytes (50 MiB). Checked at slot time, at upload and before decoding. */
export { MAX_UPLOAD_BYTES } from '@glimpse/contract';
/** Largest picture decoded, in pixels. sharp's own default is 268 MP, so it is set explicitly. */
export const MAX_INPUT_PIXELS = 100_000_000;
/** How long an upload slot's URL stays valid. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;
/** A media item still `processing` this long after its last update is re-queued by the reconciler. */
export const STALLED_AFTER_MS = 10 * 60_000;
/** After this many re-queues a stalled item is failed instead of queued again. */
export const MAX_REQUEUES = 3;
/** Private media URLs are valid for this long, rounded up to the window so that URLs stay cacheable. */
export const PRIVATE_URL_WINDOW_SECONDS = 3_600;

import { ACCEPTED_IMAGE_TYPES, MAX_UPLOAD_BYTES, MEDIA_PER_POST_MAX } from '@glimpse/contract/limits';

/**
 * Checks a picked file before any byte is sent, so a refused type or an oversized photo is a
 * sentence on the spot instead of a failed request. Pure: unit-tested in test/files.test.ts.
 */
export interface FileLike {
  name: string;
  type: string;
  size: number;
}

export type FileCheck = { ok: true; type: string } | { ok: false; message: string };

/** What the picker accepts: the MIME types plus extensions, since some systems give HEIC no type. */
export const ACCEPT_ATTRIBUTE = [...ACCEPTED_IMAGE_TYPES, '.heic', '.heif', '.avif'].join(',');

export const ACCEPTED_KINDS = 'JPEG, PNG, HEIC, WebP, AVIF or GIF';

const BY_EXTENSION: Record<string, string> = {
  heic: 'image/heic',
  heif: 'image/heif',
  avif: 'image/avif',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
};

const accepted = new Set<string>(ACCEPTED_IMAGE_TYPES);

/**
 * The file's MIME type: the browser's when it gave a useful one, else from the extension
 * (Chromium on Linux reports HEIC files as "" or application/octet-stream). Null when unknown.
 */
export function photoType(file: Pick<FileLike, 'name' | 'type'>): string | null {
  const declared = file.type.trim().toLowerCase();
  if (declared && declared !== 'application/octet-stream') return accepted.has(declared) ? declared : null;
  const extension = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase();
  return (extension && BY_EXTENSION[extension]) ?? null;
}

/** "62.4 MB": one decimal, in the MiB the limit is written in (50 MB = 50 x 1,048,576 bytes). */
export function formatMegabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb >= 100 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}

export function checkFile(file: FileLike): FileCheck {
  const type = photoType(file);
  if (!type) {
    return { ok: false, message: `${file.name} is not a photo Glimpse can take. Use ${ACCEPTED_KINDS}.` };
  }
  if (file.size > MAX_UPLOAD_BYTES) {
    return {
      ok: false,
      message: `${file.name} is ${formatMegabytes(file.size)}; photos can be at most ${formatMegabytes(MAX_UPLOAD_BYTES)}.`,
    };
  }
  if (file.size === 0) return { ok: false, message: `${file.name} is empty.` };
  return { ok: true, type };
}

export function isHeic(type: string): boolean {
  return /^image\/hei[cf]/.test(type);
}

/**
 * Splits newly picked files into the ones to add (valid, up to the per-post limit given how
 * many are already there) and the sentences for the rest.
 */
export function admitFiles<F extends FileLike>(
  picked: readonly F[],
  alreadyThere: number,
  max = MEDIA_PER_POST_MAX,
): { accepted: { file: F; type: string }[]; problems: string[] } {
  const accepted: { file: F; type: string }[] = [];
  const problems: string[] = [];
  let dropped = 0;
  for (const file of picked) {
    const check = checkFile(file);
    if (!check.ok) problems.push(check.message);
    else if (alreadyThere + accepted.length >= max) dropped++;
    else accepted.push({ file, type: check.type });
  }
  if (dropped > 0) {
    problems.push(
      `A post can have at most ${max} photos, so ${dropped === 1 ? '1 photo was' : `${dropped} photos were`} left out.`,
    );
  }
  return { accepted, problems };
}

/**
 * Why the server could not process a photo, as a sentence. The MediaRef's own message comes
 * from the image decoder ("bad seek to 9278") and means nothing to a person.
 */
export function processingFailure(code: string | null | undefined): string {
  switch (code) {
    case 'too_many_pixels':
      return 'This photo has too many pixels; the limit is 100 megapixels.';
    case 'unsupported_format':
      return 'This file is not a photo format Glimpse can read.';
    case 'decode_failed':
      return 'This photo looks damaged and could not be read.';
    case 'processing_stalled':
      return 'Processing this photo took too long. Remove it and add it again.';
    default:
      return 'This photo could not be processed.';
  }
}

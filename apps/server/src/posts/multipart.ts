import type { FastifyRequest } from 'fastify';
import { ACCEPTED_IMAGE_TYPES, MEDIA_PER_POST_MAX } from '@glimpse/contract';
import { AppError, invalidFields } from '../lib/errors.js';
import type { MediaService } from '../media/media.service.js';

/** Text fields of the one-request form; anything else is refused like an unknown JSON field. */
const FIELDS = new Set(['caption', 'location', 'altText']);
const TEXT_FIELD_MAX_BYTES = 16 * 1024;

/**
 * `POST /posts` as multipart/form-data (fields `caption`, `location`, `altText` per photo, file
 * parts `media`): each photo goes through the media flow as it streams in (uploadDirect), then
 * the request continues as the JSON body `{mediaIds, caption, location, altTexts}`, validated
 * and handled by the same route. One code path for both forms.
 */
export async function multipartToJsonBody(
  request: FastifyRequest,
  media: MediaService,
  ownerId: string,
): Promise<unknown> {
  const body: { mediaIds: string[]; caption?: string; location?: string; altTexts?: string[] } = {
    mediaIds: [],
  };
  const altTexts: string[] = [];
  const parts = request.parts({
    limits: {
      files: MEDIA_PER_POST_MAX,
      fields: 2 + MEDIA_PER_POST_MAX,
      fieldSize: TEXT_FIELD_MAX_BYTES,
      fileSize: 50 * 1024 * 1024,
    },
  });
  for await (const part of parts) {
    if (part.type === 'file') {
      if (part.fieldname !== 'media') throw invalidFields({ [part.fieldname]: 'is not an accepted field' });
      if (
        !(ACCEPTED_IMAGE_TYPES as readonly string[]).includes(part.mimetype) &&
        part.mimetype !== 'application/octet-stream'
      ) {
        part.file.resume();
        throw new AppError(
          415,
          'unsupported_media_type',
          `${part.mimetype} is not a photo type Glimpse takes.`,
        );
      }
      body.mediaIds.push(await media.uploadDirect(ownerId, part.file));
    } else {
      if (!FIELDS.has(part.fieldname)) throw invalidFields({ [part.fieldname]: 'is not an accepted field' });
      const value = String(part.value);
      if (part.fieldname === 'altText') altTexts.push(value);
      else body[part.fieldname as 'caption' | 'location'] = value;
    }
  }
  if (body.mediaIds.length === 0) throw invalidFields({ media: 'is required (at least one photo)' });
  if (altTexts.length > 0) body.altTexts = altTexts;
  return body;
}

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { sniffFormat } from '../../apps/server/src/media/formats.js';
import { renditionKey } from '../../apps/server/src/media/media.repo.js';
import type { ImageCodec } from '../../apps/server/src/ports/image-codec.js';
import type { ObjectStore } from '../../apps/server/src/ports/object-store.js';
import type { SourceMedia } from './rows.js';

/**
 * The few real photos every seeded media row points at: each corpus photo goes through the
 * pipeline's own codec and its renditions are stored where the deployment serves them from,
 * so every URL in a seeded feed opens a real WebP.
 */
const CORPUS = '/work/shared/corpus';
export const SOURCE_PHOTOS = [
  'exif-orientation/Landscape_1.jpg',
  'exif-orientation/Landscape_6.jpg',
  'exif-orientation/Landscape_3.jpg',
  'formats/valid_jpg_large.jpg',
  'formats/valid_jpg_sample.jpg',
  'formats/valid_jpg_progressive.jpg',
  'formats/valid_heif_sample.heic',
  'formats/valid_png_sample.png',
];

export async function storeSources(
  ids: readonly bigint[],
  deps: { codec: ImageCodec; objects: ObjectStore; corpus?: string },
): Promise<SourceMedia[]> {
  return Promise.all(
    SOURCE_PHOTOS.map(async (path, k) => {
      const original = await readFile(`${deps.corpus ?? CORPUS}/${path}`);
      const format = sniffFormat(original);
      if (!format) throw new Error(`${path} is not a photo the pipeline accepts`);
      const processed = await deps.codec.process(original, format);
      const id = ids[k]!;
      await Promise.all(
        processed.renditions.map((r) =>
          deps.objects.put(renditionKey(id.toString(), r.variant), r.data, { contentType: 'image/webp' }),
        ),
      );
      return {
        id,
        sizeBytes: original.length,
        width: processed.width,
        height: processed.height,
        blurhash: processed.blurhash,
        dominantColor: processed.dominantColor,
        sha256: createHash('sha256').update(original).digest(),
        phash: processed.phash,
      };
    }),
  );
}

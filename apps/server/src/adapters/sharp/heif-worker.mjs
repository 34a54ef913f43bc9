// Decodes HEIC/HEIF (HEVC) with libheif compiled to WebAssembly, off the main thread: a 12 MP
// iPhone photo takes about a second of CPU, which must not stall the HTTP event loop.
// sharp's prebuilt libvips has no HEVC decoder, so this is the only HEIC path.
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const libheif = require('libheif-js/wasm-bundle');

const free = (images) => {
  for (const image of images) image.free?.();
};

parentPort.on('message', ({ id, input, maxPixels }) => {
  let images = [];
  const fail = (error, message) => {
    free(images);
    parentPort.postMessage({ id, error, message });
  };
  try {
    images = new libheif.HeifDecoder().decode(new Uint8Array(input));
    const image = images.find((i) => i.is_primary()) ?? images[0];
    if (!image) return fail('decode_failed', 'no image in the HEIF container');
    // Sizes already account for the container's rotation and mirroring, which decoding applies.
    const width = image.get_width();
    const height = image.get_height();
    if (width * height > maxPixels) return fail('too_many_pixels', `${width}x${height} is over the limit`);
    const alpha = image.has_alpha_channel();
    // display() decodes asynchronously: the handles must live until its callback.
    image.display({ data: new Uint8ClampedArray(width * height * 4), width, height }, (out) => {
      try {
        if (!out) return fail('decode_failed', 'HEIF decoding failed');
        free(images);
        const pixels = out.data.buffer;
        parentPort.postMessage({ id, width, height, alpha, pixels }, [pixels]);
      } catch (err) {
        fail('decode_failed', String(err?.message ?? err));
      }
    });
  } catch (err) {
    fail('decode_failed', String(err?.message ?? err));
  }
});

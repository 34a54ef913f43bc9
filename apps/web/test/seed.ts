import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';

/** The shared upload corpus, where the server's media tests find it. */
export const CORPUS = '/work/shared/corpus';
export const JPEG = join(CORPUS, 'exif-orientation/Landscape_6.jpg');
export const HEIC = join(CORPUS, 'formats/valid_heif_sample.heic');

export interface Account {
  readonly id: string;
  readonly username: string;
  readonly accessToken: string;
}

/**
 * A camera-like JPEG: the corpus has EXIF orientation but no GPS, so one is added here (the
 * server must strip it from every rendition; the upload path is what this exercises).
 */
export async function jpegWithGps(dir: string): Promise<string> {
  const path = join(dir, 'IMG_0420.jpg');
  const out = await sharp(await readFile(JPEG))
    .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 3230/100' } })
    .jpeg({ quality: 90 })
    .toBuffer();
  await writeFile(path, out);
  return path;
}

async function json<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Registration over the API, for accounts whose sign-up is not what a test is about. */
export async function register(base: string, username: string): Promise<Account> {
  const body = await json<{ user: { id: string }; accessToken: string }>(
    await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, email: `${username}@example.com`, password: 'a long passphrase' }),
    }),
  );
  return { id: body.user.id, username, accessToken: body.accessToken };
}

/** One post through the API's one-request multipart upload; resolves once it is published. */
export async function publish(base: string, who: Account, file: string, caption: string): Promise<string> {
  const form = new FormData();
  form.set('caption', caption);
  form.append('media', new Blob([await readFile(file)], { type: 'image/jpeg' }), 'photo.jpg');
  const post = await json<{ id: string }>(
    await fetch(`${base}/api/v1/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${who.accessToken}` },
      body: form,
    }),
  );
  for (let i = 0; i < 300; i++) {
    const now = await json<{ status: string }>(
      await fetch(`${base}/api/v1/posts/${post.id}`, {
        headers: { authorization: `Bearer ${who.accessToken}` },
      }),
    );
    if (now.status === 'published') return post.id;
    if (now.status === 'failed') throw new Error(`post ${post.id} failed to process`);
    await sleep(100);
  }
  throw new Error(`post ${post.id} was not published within 30 s`);
}

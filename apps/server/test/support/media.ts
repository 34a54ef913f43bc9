import type { MediaRef, UploadSlot } from '@glimpse/contract';
import { expect } from 'vitest';
import { waitFor } from '../contracts/job-queue.contract.js';
import type { TestApp } from './app.js';
import { call, type Reply, type TestUser } from './client.js';

/** PUTs bytes where the slot says: the app itself (embedded) or the object store (S3). */
export async function putUpload(
  t: TestApp,
  upload: UploadSlot['upload'],
  bytes: Buffer,
  headers: Record<string, string> = upload.headers,
): Promise<number> {
  const url = new URL(upload.url);
  if (url.origin === new URL(t.config.publicUrl).origin) {
    const response = await t.app.inject({
      method: 'PUT',
      url: url.pathname + url.search,
      headers,
      payload: bytes,
    });
    return response.statusCode;
  }
  const { 'content-length': _length, ...rest } = headers;
  const response = await fetch(upload.url, { method: 'PUT', headers: rest, body: bytes });
  await response.arrayBuffer();
  return response.status;
}

export async function createSlot(t: TestApp, user: TestUser, bytes: Buffer, contentType = 'image/jpeg') {
  const slot = await call<UploadSlot>(t.app, 'POST', '/api/v1/media/uploads', {
    token: user.accessToken,
    body: { contentType, size: bytes.length },
  });
  expect(slot.status, JSON.stringify(slot.body)).toBe(201);
  return slot.body;
}

/** Slot → PUT → complete. Returns the complete call's reply (202, or 4xx for refused bytes). */
export async function uploadPhoto(
  t: TestApp,
  user: TestUser,
  bytes: Buffer,
  contentType = 'image/jpeg',
): Promise<{ id: string; complete: Reply }> {
  const slot = await createSlot(t, user, bytes, contentType);
  expect(await putUpload(t, slot.upload, bytes)).toBe(200);
  const complete = await call(t.app, 'POST', `/api/v1/media/${slot.media.id}/complete`, {
    token: user.accessToken,
  });
  return { id: slot.media.id, complete };
}

/** Polls until the worker has finished with the item (ready or failed). */
export async function settled(t: TestApp, user: TestUser, id: string, timeoutMs = 30_000): Promise<MediaRef> {
  return waitFor(async () => {
    const reply = await call<MediaRef>(t.app, 'GET', `/api/v1/media/${id}`, { token: user.accessToken });
    return reply.body.status === 'ready' || reply.body.status === 'failed' ? reply.body : undefined;
  }, timeoutMs);
}

/** Fetches a rendition through the origin's /media route. */
export async function fetchRendition(t: TestApp, url: string, headers: Record<string, string> = {}) {
  const { pathname, search } = new URL(url);
  const response = await t.app.inject({ method: 'GET', url: pathname + search, headers });
  return { status: response.statusCode, headers: response.headers, body: response.rawPayload };
}

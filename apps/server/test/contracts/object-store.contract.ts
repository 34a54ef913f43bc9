import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../src/ports/object-store.js';

/** What every ObjectStore adapter must do. */
export function objectStoreContract(name: string, make: () => ObjectStore) {
  describe(`ObjectStore contract: ${name}`, () => {
    const key = (suffix: string) => `test/${randomBytes(4).toString('hex')}/${suffix}`;

    it('stores bytes with their content type and reads them back', async () => {
      const store = make();
      const k = key('a.webp');
      const bytes = randomBytes(10_000);
      const info = await store.put(k, bytes, { contentType: 'image/webp' });
      expect(info.size).toBe(10_000);
      expect(info.etag).toMatch(/^"[^"]+"$/);
      const head = await store.head(k);
      expect(head).toMatchObject({ size: 10_000, contentType: 'image/webp', etag: info.etag });
      const got = await store.get(k);
      expect(Buffer.compare(await buffer(got!.body), bytes)).toBe(0);
    });

    it('streams large bodies in and serves byte ranges', async () => {
      const store = make();
      const k = key('original');
      const chunks = Array.from({ length: 40 }, () => randomBytes(128 * 1024));
      const all = Buffer.concat(chunks);
      await store.put(k, Readable.from(chunks), { contentType: 'image/jpeg' });
      const whole = await store.get(k);
      expect(
        createHash('sha256')
          .update(await buffer(whole!.body))
          .digest('hex'),
      ).toBe(createHash('sha256').update(all).digest('hex'));
      const part = await store.get(k, { start: 100, end: 199 });
      expect(Buffer.compare(await buffer(part!.body), all.subarray(100, 200))).toBe(0);
    });

    it('overwrites atomically; a new content gives a new ETag', async () => {
      const store = make();
      const k = key('b');
      const first = await store.put(k, Buffer.from('one'), { contentType: 'text/plain' });
      const second = await store.put(k, Buffer.from('two!'), { contentType: 'text/plain' });
      expect(second.etag).not.toBe(first.etag);
      expect((await buffer((await store.get(k))!.body)).toString()).toBe('two!');
    });

    it('a body that fails midway leaves no object behind and keeps the previous one', async () => {
      const store = make();
      const k = key('d');
      const failing = () =>
        new Readable({
          read() {
            this.push(randomBytes(64 * 1024));
            this.destroy(new Error('client went away'));
          },
        });
      await expect(store.put(k, failing(), { contentType: 'image/jpeg' })).rejects.toThrow();
      expect(await store.head(k)).toBeNull();
      await store.put(k, Buffer.from('kept'), { contentType: 'text/plain' });
      await expect(store.put(k, failing(), { contentType: 'image/jpeg' })).rejects.toThrow();
      expect((await buffer((await store.get(k))!.body)).toString()).toBe('kept');
    });

    it('answers null for missing objects and deletes idempotently', async () => {
      const store = make();
      const k = key('c');
      expect(await store.head(k)).toBeNull();
      expect(await store.get(k)).toBeNull();
      await store.put(k, Buffer.from('x'), { contentType: 'application/octet-stream' });
      await store.delete([k, key('never')]);
      await store.delete([k]);
      expect(await store.head(k)).toBeNull();
    });

    it('answers ping', async () => {
      await expect(make().ping()).resolves.toBeUndefined();
    });
  });
}

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalDiskObjectStore } from '../../src/adapters/local-disk/local-disk-object-store.js';
import { objectStoreContract } from '../contracts/object-store.contract.js';

const root = await mkdtemp(join(tmpdir(), 'glimpse-objects-'));
afterAll(() => rm(root, { recursive: true, force: true }));

objectStoreContract('local-disk', () => new LocalDiskObjectStore(root));

describe('local disk specifics', () => {
  it.each([
    '../escape',
    'a/../../b',
    '/abs',
    'a//b',
    'a/./b',
    '',
    'x/.hidden/..',
    'a\\b',
    'k.meta',
    'n\u0000ul',
  ])('refuses the key %j', async (key) => {
    const store = new LocalDiskObjectStore(root);
    await expect(store.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(
      /invalid object key/,
    );
  });

  it('leaves no temporary files behind', async () => {
    const store = new LocalDiskObjectStore(root);
    await store.put('tmpcheck/a', Buffer.from('x'), { contentType: 'text/plain' });
    expect((await readdir(join(root, 'tmpcheck'))).sort()).toEqual(['a', 'a.meta']);
  });
});

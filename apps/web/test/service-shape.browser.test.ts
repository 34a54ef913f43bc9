import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteProcessQueues } from '../../server/test/support/rabbitmq.js';
import { dropBucket, newBucket } from '../../server/test/support/s3.js';
import {
  AMQP_URL,
  createTestDatabase,
  postgresAvailable,
  rabbitmqAvailable,
  REDIS_URL,
  redisAvailable,
  s3Available,
  TEST_S3,
  testKeyPrefix,
  uniqueName,
} from '../../server/test/support/services.js';
import {
  chromiumAvailable,
  launchChromium,
  PHONE,
  startWebServer,
  watchErrors,
  type WebServer,
} from './browser.js';
import { jpegWithGps, register } from './seed.js';

const ready =
  (await chromiumAvailable()) &&
  (await postgresAvailable()) &&
  (await redisAvailable()) &&
  (await rabbitmqAvailable()) &&
  (await s3Available());

/**
 * The same app on the service shape (PostgreSQL, Redis, RabbitMQ, S3): the browser PUTs the
 * photo straight to the object store's pre-signed URL, another origin, so this proves the CSP's
 * connect-src and the bucket's CORS rule let it through, and that the post reaches a follower's
 * feed through the broker and Redis timelines.
 */
describe.runIf(ready)('the web app on the service shape', { timeout: 180_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  let web: WebServer;
  let browser: Browser;
  let tmp: string;

  beforeAll(async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const keys = testKeyPrefix();
    cleanups.push(keys.clean);
    const bucket = newBucket();
    cleanups.push(() => dropBucket(bucket));
    const queuePrefix = `${uniqueName('w')}.`;
    cleanups.push(() => deleteProcessQueues(queuePrefix));
    tmp = await mkdtemp(join(tmpdir(), 'glimpse-web-s3-'));
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    [web, browser] = await Promise.all([
      startWebServer({
        DATABASE_URL: db.url,
        DATABASE_POOL_SIZE: '4',
        REDIS_URL,
        REDIS_KEY_PREFIX: keys.prefix,
        AMQP_URL,
        AMQP_QUEUE_PREFIX: queuePrefix,
        S3_BUCKET: bucket,
        S3_ENDPOINT: TEST_S3.endpoint,
        S3_REGION: TEST_S3.region,
        S3_ACCESS_KEY_ID: TEST_S3.credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: TEST_S3.credentials.secretAccessKey,
        JWT_SECRET: randomBytes(32).toString('hex'),
      }),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it('uploads from the composer straight to S3, publishes, and the follower sees the photo', async () => {
    const author = await register(web.url, 'shape_author');
    const follower = await register(web.url, 'shape_follower');
    await fetch(`${web.url}/api/v1/users/${author.id}/follow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${follower.accessToken}` },
    });

    const signIn = async (username: string) => {
      const page = await (await browser.newContext({ viewport: PHONE })).newPage();
      const errors = watchErrors(page, username);
      await page.goto(`${web.url}/login`);
      await page.getByLabel('Username or email').fill(username);
      await page.getByLabel('Password', { exact: true }).fill('a long passphrase');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('link', { name: 'Profile', exact: true }).waitFor();
      return { page, errors };
    };

    const a = await signIn('shape_author');
    const puts: string[] = [];
    a.page.on('request', (r) => r.method() === 'PUT' && puts.push(new URL(r.url()).origin));
    await a.page.getByRole('link', { name: 'New post', exact: true }).click();
    await a.page.getByLabel('Add photos').setInputFiles(await jpegWithGps(tmp));
    await a.page.getByLabel('Caption').fill('Straight to the bucket #shapes');
    await a.page.getByRole('button', { name: 'Share' }).click();
    await a.page.waitForURL(/\/p\/\d+$/, { timeout: 60_000 });
    const postId = a.page.url().split('/').at(-1)!;
    // The bytes went to the object store's origin, not through the API server.
    expect(puts).toEqual([new URL(TEST_S3.endpoint).origin]);

    const b = await signIn('shape_follower');
    // Fan-out runs through RabbitMQ and Redis; the feed shows the post within seconds.
    await expect
      .poll(
        async () => {
          await b.page.goto(web.url);
          await b.page.locator('.post-card, .notice').first().waitFor();
          return b.page.locator(`.post-card a[href="/p/${postId}"]`).count();
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toBeGreaterThan(0);
    const image = b.page.locator('.post-card img').first();
    await image.waitFor();
    await expect
      .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBeGreaterThan(0);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});

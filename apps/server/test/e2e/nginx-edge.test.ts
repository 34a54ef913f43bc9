import { spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser } from '../support/client.js';
import { settled, uploadPhoto } from '../support/media.js';
import { freePort } from '../support/process.js';
import { openSse } from '../support/sse.js';

const EDGE_CONF = fileURLToPath(new URL('../../../../deploy/nginx/edge.conf', import.meta.url));
const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

async function nginxAvailable(): Promise<boolean> {
  try {
    await access(NGINX);
    return true;
  } catch {
    if (process.env.CI === 'true')
      throw new Error(`nginx is required in CI but ${NGINX} is missing (apt-get install nginx)`);
    console.warn(`[skip] nginx not found at ${NGINX}; the edge suite is skipped`);
    return false;
  }
}

/** The shipped edge.conf, with its EDIT lines pointed at this test's origin, port and cache. */
async function edgeConfig(originPort: number, edgePort: number, cacheDir: string): Promise<string> {
  const shipped = await readFile(EDGE_CONF, 'utf8');
  const rewritten = shipped
    .replace(/server 127\.0\.0\.1:3000;/, `server 127.0.0.1:${originPort};`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${edgePort};`)
    .replace(/proxy_cache_path cache /, `proxy_cache_path ${cacheDir} `);
  expect(rewritten).not.toBe(shipped);
  return rewritten;
}

describe.runIf(await nginxAvailable())(
  'the nginx edge (deploy/nginx/edge.conf)',
  { timeout: 120_000 },
  () => {
    let t: TestApp;
    let nginx: ChildProcess;
    let prefix: string;
    let edge: string;

    beforeAll(async () => {
      // Short heartbeats, so the stream test sees them pass through.
      t = await startTestApp('embedded', { NOTIFICATIONS_HEARTBEAT_SECONDS: '0.2' }, { workers: true });
      const origin = new URL(await t.app.listen({ port: 0, host: '127.0.0.1' }));
      prefix = await mkdtemp(join(tmpdir(), 'glimpse-edge-'));
      // Started as root, nginx runs its workers as an unprivileged user: they must reach the cache.
      await chmod(prefix, 0o755);
      const edgePort = await freePort();
      const conf = join(prefix, 'edge.conf');
      await writeFile(conf, await edgeConfig(Number(origin.port), edgePort, join(prefix, 'cache')));
      nginx = spawn(NGINX, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log'), '-g', 'daemon off;'], {
        stdio: 'ignore',
      });
      edge = `http://127.0.0.1:${edgePort}`;
      for (let i = 0; i < 100; i++) {
        if (
          await fetch(`${edge}/healthz`).then(
            (r) => r.ok,
            () => false,
          )
        )
          return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(
        `nginx did not start: ${await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '')}`,
      );
    });
    afterAll(async () => {
      nginx?.kill('SIGQUIT');
      await t?.close();
      if (prefix) await rm(prefix, { recursive: true, force: true });
    });

    const originHits = async () =>
      (await t.metrics.registry.getSingleMetric('glimpse_http_requests_total')!.get()).values
        .filter((v) => v.labels.route === '/media/:id/:file')
        .reduce((sum, v) => sum + v.value, 0);

    it('50 concurrent cold requests for one rendition make exactly one origin request', async () => {
      const user = await registerUser(t.app);
      const photo = await readFile('/work/shared/corpus/exif-orientation/Landscape_3.jpg');
      const media = await settled(t, user, (await uploadPhoto(t, user, photo)).id);
      const path = new URL(media.variants!.large.url).pathname;
      const before = await originHits();

      const replies = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const response = await fetch(`${edge}${path}`);
          return {
            status: response.status,
            cache: response.headers.get('x-cache-status'),
            body: Buffer.from(await response.arrayBuffer()),
          };
        }),
      );
      expect(replies.every((r) => r.status === 200)).toBe(true);
      expect(new Set(replies.map((r) => r.body.toString('base64'))).size).toBe(1);
      expect(replies.filter((r) => r.cache === 'MISS')).toHaveLength(1);
      expect((await originHits()) - before).toBe(1);

      // Warm: served from the edge, ranges included, with the origin's immutable headers.
      const warm = await fetch(`${edge}${path}`, { headers: { range: 'bytes=0-99' } });
      expect(warm.status).toBe(206);
      expect(warm.headers.get('x-cache-status')).toBe('HIT');
      expect(warm.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await warm.arrayBuffer()).byteLength).toBe(100);
      expect((await originHits()) - before).toBe(1);
    });

    it('signed private renditions are cached per URL, and an unsigned request is refused', async () => {
      const owner = await registerUser(t.app);
      await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${owner.accessToken}`, 'content-type': 'application/json' },
        payload: '{"isPrivate":true}',
      });
      const photo = await readFile('/work/shared/corpus/formats/valid_jpg_large.jpg');
      const media = await settled(t, owner, (await uploadPhoto(t, owner, photo)).id);
      const signed = new URL(media.variants!.small.url);
      const first = await fetch(`${edge}${signed.pathname}${signed.search}`);
      const second = await fetch(`${edge}${signed.pathname}${signed.search}`);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.headers.get('x-cache-status')).toBe('HIT');
      expect(Number(/max-age=(\d+)/.exec(second.headers.get('cache-control') ?? '')![1])).toBeLessThanOrEqual(
        7200,
      );
      const unsigned = await fetch(`${edge}${signed.pathname}`);
      expect(unsigned.status).toBe(403);
    });

    it('streams notifications and heartbeats through the edge', async () => {
      const [ada, grace] = [await registerUser(t.app), await registerUser(t.app)];
      const sse = await openSse(`${edge}/api/v1/notifications/stream`, {
        authorization: `Bearer ${ada.accessToken}`,
      });
      try {
        expect(sse.status).toBe(200);
        expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
        // Heartbeats come through as they are written, not when the response ends.
        await sse.comment(3, 10_000);
        const followed = await call(t.app, 'POST', `/api/v1/users/${ada.user.id}/follow`, {
          token: grace.accessToken,
        });
        expect(followed.status).toBe(200);
        const event = await sse.next((e) => e.event === 'notification', 15_000);
        expect(JSON.parse(event.data)).toMatchObject({ type: 'follow', actor: { id: grace.user.id } });
      } finally {
        sse.close();
      }
    });
  },
);

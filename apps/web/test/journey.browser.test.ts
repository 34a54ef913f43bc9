import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  imagesWithoutAlt,
  launchChromium,
  PHONE,
  screenshotBoth,
  startWebServer,
  watchErrors,
  type WebServer,
} from './browser.js';
import { HEIC, JPEG, jpegWithGps, publish } from './seed.js';

const PASSWORD = 'a long passphrase';

/**
 * Issue 7's journey through the built app, as people use it: sign up, post real photos, find and
 * follow, like and comment, live notifications, going private. Screenshots of every screen at
 * both sizes go to test-results/screenshots/ for a person to look at.
 */
describe.runIf(await chromiumAvailable())('the web app, end to end', { timeout: 180_000 }, () => {
  let web: WebServer;
  let browser: Browser;
  let tmp: string;
  const errors = new Map<Page, string[]>();

  beforeAll(async () => {
    [web, browser, tmp] = await Promise.all([
      startWebServer(),
      launchChromium(),
      mkdtemp(join(tmpdir(), 'glimpse-e2e-files-')),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  async function open(label: string): Promise<Page> {
    // One context per person: their own storage, so their own session.
    const page = await (await browser.newContext({ viewport: PHONE })).newPage();
    errors.set(page, watchErrors(page, label));
    await page.goto(`${web.url}/login`);
    return page;
  }
  const errorsOf = (...pages: Page[]) => pages.flatMap((p) => errors.get(p) ?? []);

  async function signUp(page: Page, username: string) {
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Email').fill(`${username}@example.com`);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('link', { name: 'Profile', exact: true }).waitFor();
  }

  async function altCheck(page: Page, screen: string) {
    expect(await imagesWithoutAlt(page), `images without alt on ${screen}`).toEqual([]);
  }

  let alice: Page;
  let bob: Page;
  let stranger: Page;
  let postId: string;

  it('signs up two people; A posts a JPEG (with GPS) and a HEIC through the composer', async () => {
    alice = await open('alice');
    await alice.getByRole('button', { name: 'Log in' }).waitFor();
    await screenshotBoth(alice, 'sign-in');
    await signUp(alice, 'alice');
    bob = await open('bob');
    await signUp(bob, 'bob');

    await alice.getByRole('link', { name: 'New post', exact: true }).click();
    // Refused before any byte is sent, each with a sentence naming the file.
    const svg = join(tmp, 'drawing.svg');
    await writeFile(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    const huge = join(tmp, 'panorama.jpg');
    await writeFile(huge, Buffer.alloc(51 * 1024 * 1024));
    // A .jpg that is not a photo passes the browser's checks; the server refuses its bytes.
    const fake = join(tmp, 'notes.jpg');
    await writeFile(fake, 'these are not the bytes of a photo');
    await alice.getByLabel('Add photos').setInputFiles([svg, huge]);
    const problems = alice.getByRole('alert');
    await problems.getByText(/drawing\.svg is not a photo Glimpse can take/).waitFor();
    await problems.getByText('panorama.jpg is 51 MB; photos can be at most 50 MB.').waitFor();
    expect(await alice.getByRole('progressbar').count()).toBe(0);
    await alice.getByLabel('Add photos').setInputFiles([fake]);
    const fakeTile = alice.getByRole('listitem').filter({ hasText: 'notes.jpg' });
    const refusal = fakeTile.getByRole('alert');
    await refusal.waitFor({ timeout: 15_000 });
    // The server's sentence (it sniffed the bytes), not a status code.
    expect(await refusal.textContent()).toMatch(/not a photo in an accepted format/);
    // The same bytes would fail again, so no Retry is offered.
    expect(await fakeTile.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    await alice.getByRole('button', { name: 'Remove photo 1' }).click();

    const jpeg = await jpegWithGps(tmp);
    // Slow the photo PUTs down so the progress bars are seen (and photographed) mid-way.
    await alice.route(/\/uploads\//, async (route) => {
      await new Promise((r) => setTimeout(r, 1_500));
      // Unrouting mid-delay hands the request to the default handler; that is fine.
      await route.continue().catch(() => {});
    });
    await alice.getByLabel('Add photos').setInputFiles([jpeg, HEIC]);
    const progress = alice.getByRole('progressbar', { name: `Uploading ${basename(jpeg)}` });
    await progress.waitFor();
    const value = Number(await progress.getAttribute('aria-valuenow'));
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(100);
    await screenshotBoth(alice, 'composer-uploading');
    await alice.getByLabel('Alt text for photo 1').fill('The pier at sunset, seen from the beach');
    await alice.getByLabel('Caption').fill('Golden hour at the pier #goldenhour with @bob');
    await alice.getByLabel('Location').fill('Brighton');
    await alice.getByRole('button', { name: 'Move photo 2 earlier' }).click();
    await alice.getByRole('button', { name: 'Move photo 1 later' }).click();
    await alice.unroute(/\/uploads\//);
    // Done bars either go away or stay at 100: either way none is short of it.
    await expect
      .poll(
        async () => {
          const bars = await alice.getByRole('progressbar').all();
          const values = await Promise.all(bars.map((bar) => bar.getAttribute('aria-valuenow')));
          return values.every((v) => v === '100');
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    await screenshotBoth(alice, 'composer-ready');
    await altCheck(alice, 'composer');
    await alice.getByRole('button', { name: 'Share' }).click();
    await alice.waitForURL(/\/p\/\d+$/, { timeout: 30_000 });
    postId = new URL(alice.url()).pathname.split('/').pop()!;
    await alice.getByRole('heading', { name: 'Post by alice' }).waitFor();
    await alice.locator('.post-card img').first().waitFor();
  });

  it('B finds A through Search, follows, sees the photo in the feed, likes and comments', async () => {
    await bob.getByRole('link', { name: 'Search', exact: true }).click();
    await bob.getByRole('searchbox', { name: 'Search' }).fill('alice');
    const result = bob.getByRole('link', { name: /alice/ }).first();
    await result.waitFor();
    await screenshotBoth(bob, 'search-results');
    await altCheck(bob, 'search');
    // Results re-render as the debounced query settles; wait for that before clicking.
    await bob.waitForLoadState('networkidle');
    await bob.getByRole('link', { name: /alice/ }).first().click();
    await bob.waitForURL(/\/u\/alice$/);
    await bob.getByRole('heading', { name: 'alice', exact: true }).waitFor();
    await bob.getByRole('button', { name: 'Follow', exact: true }).click();
    await bob.getByRole('button', { name: 'Following' }).waitFor();
    await screenshotBoth(bob, 'profile');
    await altCheck(bob, 'profile');

    // Fan-out reaches followers "within seconds": look again until it has.
    await bob.getByRole('link', { name: 'Home', exact: true }).click();
    await expect
      .poll(
        async () => {
          if ((await bob.locator('.post-card').count()) > 0) return true;
          await bob.reload();
          await bob.locator('.feed, [role=alert]').first().waitFor();
          return (await bob.locator('.post-card').count()) > 0;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(true);
    const img = bob.locator('.post-card img').first();
    await expect
      .poll(() =>
        img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth),
      )
      .toBeGreaterThan(0);
    await screenshotBoth(bob, 'feed');
    await altCheck(bob, 'feed');

    const badge = alice.getByTestId('unread-badge');
    const before = (await badge.count()) ? Number(await badge.textContent()) : 0;
    const like = bob.locator('.post-card').first().getByRole('button', { name: 'Like' });
    await like.click();
    await expect.poll(() => like.getAttribute('aria-pressed')).toBe('true');
    await bob.locator('.post-card').first().getByRole('link', { name: 'Comment' }).click();
    await bob.getByRole('heading', { name: 'Post by alice' }).waitFor();
    await bob.getByLabel('Add a comment').fill('What a light! 🌅');
    await bob.getByRole('button', { name: 'Post', exact: true }).click();
    const comments = bob.getByRole('list', { name: 'Comments' });
    await comments.getByText('What a light! 🌅').waitFor();
    await screenshotBoth(bob, 'post-page');
    await altCheck(bob, 'post page');

    // A's page was open all along, never reloaded: the live stream moves the badge.
    await expect
      .poll(async () => ((await badge.count()) ? Number(await badge.textContent()) : 0), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(before + 2);
    await alice.getByRole('link', { name: /^Notifications(, .* unread)?$/ }).click();
    await alice.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await alice.getByRole('list', { name: 'Notifications list' }).getByText(/bob/).first().waitFor();
    await screenshotBoth(alice, 'notifications');
    await altCheck(alice, 'notifications');
  });

  it('offers newer posts with a pill instead of moving the feed under the reader', async () => {
    await bob.getByRole('link', { name: 'Home', exact: true }).click();
    await bob.locator('.post-card').first().waitFor();
    const login = await fetch(`${web.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'alice', password: PASSWORD }),
    });
    const { user, accessToken } = (await login.json()) as { user: { id: string }; accessToken: string };
    await publish(
      web.url,
      { id: user.id, username: 'alice', accessToken },
      JPEG,
      'A second light #goldenhour',
    );
    const pill = bob.getByRole('button', { name: 'New posts' });
    // Coming back to the tab checks at once (the 30 s poll would get there too, just later).
    await expect
      .poll(
        async () => {
          await bob.evaluate(() => document.dispatchEvent(new Event('visibilitychange', { bubbles: true })));
          return pill.isVisible();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(true);
    // Nothing moved meanwhile: the first card is still the older post.
    expect(await bob.locator('.post-card').first().getByText('A second light').count()).toBe(0);
    await pill.click();
    await bob.locator('.post-card').first().getByText('A second light').waitFor();
    await pill.waitFor({ state: 'detached' });
  });

  it('explore and hashtag pages show the post', async () => {
    await bob.getByRole('link', { name: 'Explore', exact: true }).click();
    await bob.getByRole('heading', { level: 1 }).first().waitFor();
    // Popularity is computed over a window by a scheduled job: the grid may still be empty.
    await bob.waitForLoadState('networkidle');
    await screenshotBoth(bob, 'explore');
    await altCheck(bob, 'explore');
    await bob.goto(`${web.url}/tags/goldenhour`);
    await bob.locator('main img').first().waitFor({ state: 'attached' });
    await screenshotBoth(bob, 'hashtag');
    await altCheck(bob, 'hashtag');
  });

  it('A goes private: a stranger loses the post and the profile, the follower keeps them', async () => {
    await alice.goto(`${web.url}/settings`);
    await alice.getByLabel('Private account').check();
    await alice.getByRole('button', { name: 'Save profile' }).click();
    await expect
      .poll(async () => {
        const res = await fetch(`${web.url}/api/v1/users/lookup?username=alice`);
        return ((await res.json()) as { isPrivate?: boolean }).isPrivate;
      })
      .toBe(true);
    await screenshotBoth(alice, 'settings');

    const carol = await open('carol');
    await signUp(carol, 'carol');
    await carol.goto(`${web.url}/p/${postId}`);
    await carol
      .getByText(/not available|not here|no longer|could not find|not found/i)
      .first()
      .waitFor();
    expect(await carol.locator('.post-card').count()).toBe(0);
    await carol.goto(`${web.url}/u/alice`);
    await carol.getByText('This account is private').waitFor();
    await screenshotBoth(carol, 'profile-private');
    expect(await carol.locator('.post-grid img, .post-card img').count()).toBe(0);

    await bob.goto(`${web.url}/p/${postId}`);
    await bob.getByRole('heading', { name: 'Post by alice' }).waitFor();
    await bob.locator('.post-card img').first().waitFor();
    expect(errorsOf(alice, bob, carol)).toEqual([]);
    stranger = carol;
  });

  it('a follow request waits in the inbox; once confirmed, the stranger sees the post', async () => {
    const carol = stranger;
    await carol.getByRole('button', { name: 'Follow', exact: true }).click();
    await carol.getByRole('button', { name: 'Requested', exact: true }).waitFor();

    await alice.goto(`${web.url}/u/alice`);
    await alice.getByRole('link', { name: 'Follow requests' }).click();
    await alice.getByRole('heading', { name: 'Follow requests', level: 1 }).waitFor();
    await screenshotBoth(alice, 'follow-requests');
    await alice.getByRole('button', { name: 'Confirm carol' }).click();
    await alice.getByText('No pending requests').waitFor();

    await carol.goto(`${web.url}/p/${postId}`);
    await carol.getByRole('heading', { name: 'Post by alice' }).waitFor();
    await carol.locator('.post-card img').first().waitFor();
    expect(errorsOf(alice, carol)).toEqual([]);
  });

  it('a block hides both sides until it is lifted, from the profile or from Settings', async () => {
    const carol = stranger;
    carol.on('dialog', (dialog) => void dialog.accept());
    await carol.goto(`${web.url}/u/bob`);
    await carol.getByRole('button', { name: 'More options' }).click();
    await carol.getByRole('button', { name: 'Block', exact: true }).click();
    await carol.getByText('You blocked bob.').waitFor();
    // Bob cannot see carol either, and is not told why.
    await bob.goto(`${web.url}/u/carol`);
    await bob.getByRole('heading', { name: 'This account is not available' }).waitFor();

    await carol.goto(`${web.url}/settings`);
    const blocked = carol.getByRole('list', { name: 'Blocked accounts' });
    await blocked.getByText('bob').waitFor();
    await carol.getByRole('button', { name: 'Unblock bob' }).click();
    await carol.getByText('You have not blocked anyone.').waitFor();
    await carol.goto(`${web.url}/u/bob`);
    await carol.getByRole('button', { name: 'Follow', exact: true }).waitFor();
    expect(errorsOf(bob, carol)).toEqual([]);
  });

  it('keeps the session across a reload; keyboard likes; a failing feed says so and recovers; logs out', async () => {
    await bob.goto(web.url);
    await bob.reload();
    await bob.getByRole('link', { name: 'Profile', exact: true }).waitFor();
    await bob.locator('.post-card').first().waitFor();

    // Tab from the top of the page reaches the Like button; Enter and Space both toggle it.
    const like = bob.locator('.post-card').first().getByRole('button', { name: 'Like' });
    const pressed = await like.getAttribute('aria-pressed');
    await bob.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await bob.keyboard.press('Tab');
      reached = await like.evaluate((el) => el === document.activeElement);
    }
    expect(reached).toBe(true);
    await bob.keyboard.press('Enter');
    await expect.poll(() => like.getAttribute('aria-pressed')).not.toBe(pressed);
    await bob.keyboard.press('Space');
    await expect.poll(() => like.getAttribute('aria-pressed')).toBe(pressed);

    // A dependency is down: a sentence and a retry, never a blank screen.
    await bob.route(/\/api\/v1\/feed(\?|$)/, (route) =>
      route.fulfill({
        status: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '1' },
        body: JSON.stringify({
          error: { code: 'dependency_down', message: 'Glimpse is having trouble right now.' },
        }),
      }),
    );
    await bob.reload();
    const alert = bob
      .getByRole('alert')
      .filter({ hasText: 'Glimpse is busy or briefly unavailable. Try again in a moment.' });
    await alert.waitFor({ timeout: 30_000 });
    await screenshotBoth(bob, 'feed-error');
    await bob.unroute(/\/api\/v1\/feed(\?|$)/);
    await alert.getByRole('button', { name: 'Try again' }).click();
    await bob.locator('.post-card').first().waitFor();

    // And with no network at all.
    await bob.route(/\/api\/v1\/feed(\?|$)/, (route) => route.abort('internetdisconnected'));
    await bob.reload();
    await bob
      .getByRole('alert')
      .filter({ hasText: /Could not reach Glimpse/ })
      .waitFor({ timeout: 30_000 });
    await bob.unroute(/\/api\/v1\/feed(\?|$)/);

    await bob.goto(`${web.url}/settings`);
    await bob.getByRole('button', { name: 'Log out' }).click();
    await bob.getByRole('heading', { name: 'Log in' }).waitFor();
    await bob.reload();
    await bob.getByRole('heading', { name: 'Log in' }).waitFor();
    await bob.getByLabel('Username or email').fill('bob');
    await bob.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await bob.getByRole('button', { name: 'Log in' }).click();
    await bob.getByRole('link', { name: 'Profile', exact: true }).waitFor();
    expect(errorsOf(alice, bob)).toEqual([]);
  });
});

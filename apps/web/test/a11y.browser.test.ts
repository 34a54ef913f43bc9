import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  DESKTOP,
  launchChromium,
  PHONE,
  startWebServer,
  type WebServer,
} from './browser.js';
import { JPEG, publish, register, type Account } from './seed.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PASSWORD = 'a long passphrase';
/** WCAG 2.1 A and AA: labels, names, alt text, contrast, landmarks, ARIA use. */
const RULES = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Every screen through axe-core's WCAG 2.1 AA rules, in the light and the dark theme, on a phone
 * and on a desktop. The contrast rule checks the colour tokens as rendered, so a colour change
 * that drops below 4.5:1 fails here. (axe is injected into the page, so these contexts bypass the
 * CSP that would rightly refuse it; everything else runs as served.)
 */
describe.runIf(await chromiumAvailable())(
  'accessibility of every screen (axe, WCAG 2.1 AA)',
  { timeout: 240_000 },
  () => {
    let web: WebServer;
    let browser: Browser;
    let ada: Account;
    let bob: Account;
    let postId: string;

    beforeAll(async () => {
      [web, browser] = await Promise.all([startWebServer(), launchChromium()]);
      [ada, bob] = [await register(web.url, 'a11y_ada'), await register(web.url, 'a11y_bob')];
      postId = await publish(web.url, ada, JPEG, 'Waterfall at dusk #a11ytest with @a11y_bob');
      const as = (who: Account, method: string, path: string, body?: unknown) =>
        fetch(`${web.url}/api/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${who.accessToken}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      await as(bob, 'POST', `/users/${ada.id}/follow`);
      await as(bob, 'POST', `/posts/${postId}/like`);
      await as(bob, 'POST', `/posts/${postId}/comments`, { body: 'Lovely light @a11y_ada' });
    });
    afterAll(async () => {
      await browser?.close();
      await web?.close();
    });

    async function audit(page: Page): Promise<string[]> {
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async (tags) => {
        const axe = (
          window as unknown as {
            axe: { run: (ctx: Document, o: object) => Promise<{ violations: Violation[] }> };
          }
        ).axe;
        const result = await axe.run(document, {
          runOnly: { type: 'tag', values: tags },
          resultTypes: ['violations'],
        });
        return result.violations;
      }, RULES);
      return violations.map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} — ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join(', ')}`,
      );
    }

    async function signedIn(username: string, scheme: 'light' | 'dark'): Promise<Page> {
      const context = await browser.newContext({ viewport: PHONE, colorScheme: scheme, bypassCSP: true });
      const page = await context.newPage();
      await page.goto(`${web.url}/login`);
      await page.getByLabel('Username or email').fill(username);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('link', { name: 'Profile', exact: true }).waitFor();
      return page;
    }

    for (const scheme of ['light', 'dark'] as const) {
      it(`has no WCAG 2.1 AA violations on any screen (${scheme} theme)`, async () => {
        const screens: [string, string, () => string][] = [
          ['feed', 'a11y_bob', () => '/'],
          ['post', 'a11y_bob', () => `/p/${postId}`],
          ['likers', 'a11y_bob', () => `/p/${postId}/likes`],
          ['profile', 'a11y_bob', () => '/u/a11y_ada'],
          ['followers', 'a11y_bob', () => '/u/a11y_ada/followers'],
          ['search', 'a11y_bob', () => '/search?q=a11y&type=users'],
          ['explore', 'a11y_bob', () => '/explore'],
          ['hashtag', 'a11y_bob', () => '/tags/a11ytest'],
          ['composer', 'a11y_bob', () => '/new'],
          ['settings', 'a11y_bob', () => '/settings'],
          ['saved', 'a11y_bob', () => '/saved'],
          ['requests', 'a11y_bob', () => '/requests'],
          ['notifications', 'a11y_ada', () => '/notifications'],
        ];
        const found: string[] = [];
        const pages = new Map<string, Page>();
        for (const [name, who, path] of screens) {
          const page = pages.get(who) ?? (await signedIn(who, scheme));
          pages.set(who, page);
          for (const size of [PHONE, DESKTOP]) {
            await page.setViewportSize(size);
            await page.goto(`${web.url}${path()}`);
            await page.locator('main h1').first().waitFor();
            await page.locator('.page-status').waitFor({ state: 'detached' });
            await page.waitForTimeout(300); // fades and transitions settle before colours are read
            for (const v of await audit(page)) found.push(`${name} ${size.width}px: ${v}`);
          }
        }
        // Signed out: the sign-in and sign-up forms.
        const guest = await (await browser.newContext({ colorScheme: scheme, bypassCSP: true })).newPage();
        for (const path of ['/login', '/signup']) {
          await guest.goto(`${web.url}${path}`);
          await guest.locator('main h1').first().waitFor();
          for (const v of await audit(guest)) found.push(`${path}: ${v}`);
        }
        expect(found).toEqual([]);
      });
    }
  },
);

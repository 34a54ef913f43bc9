import fastifyStatic from '@fastify/static';
import type { App } from './types.js';

/**
 * The built web app. Vite fingerprints everything under assets/, so those files never
 * change and are cached for a year; the shell (index.html) is revalidated on every load.
 * Client-side routes fall back to the shell in the not-found handler (error-handler.ts).
 */
export async function serveWebApp(app: App, root: string): Promise<void> {
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    index: ['index.html'],
    setHeaders: (reply: { header(name: string, value: string): unknown }, path: string) => {
      reply.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}

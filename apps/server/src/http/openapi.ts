import swagger from '@fastify/swagger';
import type { App } from './types.js';

/** Registered before the routes: @fastify/swagger collects their schemas as they are added. */
export async function installOpenApi(app: App, publicUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Glimpse API',
        version: '1',
        description: 'The public HTTP contract of a Glimpse server. Generated from the route schemas.',
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

import helmet from '@fastify/helmet';
import type { App } from './types.js';

export interface SecurityOptions {
  readonly publicUrl: string;
  readonly mediaBaseUrl: string;
  /** The object store's origin when the browser PUTs photos to pre-signed URLs there (S3 shape). */
  readonly uploadOrigin?: string | null | undefined;
}

/**
 * Strict headers on every answer. Scripts, styles and API calls only from this origin; images
 * also from the media origin (a CDN when MEDIA_BASE_URL points at one); uploads also to the
 * object store's origin; never framed.
 */
export async function installSecurityHeaders(app: App, options: SecurityOptions) {
  const https = options.publicUrl.startsWith('https:');
  const self = new URL(options.publicUrl).origin;
  const uploadOrigin = options.uploadOrigin ? new URL(options.uploadOrigin).origin : null;
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:', new URL(options.mediaBaseUrl).origin],
        connectSrc: ["'self'", ...(uploadOrigin && uploadOrigin !== self ? [uploadOrigin] : [])],
        fontSrc: ["'self'"],
        manifestSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Over plain http browsers ignore HSTS anyway, and on localhost it would pin https.
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    frameguard: { action: 'deny' },
  });
  app.addHook('onSend', async (_request, reply) => {
    void reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=()');
  });
}

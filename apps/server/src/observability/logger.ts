import pino, { type Logger } from 'pino';
import type { Config } from '../config.js';

/** Structured JSON logs (one object per line), or pino-pretty for people reading a terminal. */
export function createLogger(
  config: Pick<Config, 'logLevel'> & { logFormat: 'json' | 'pretty' | null },
): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'glimpse' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', '*.password', '*.refreshToken', '*.accessToken', '*.access_token'],
      censor: '[redacted]',
    },
    // A request logged whole would carry its query string, where the notification stream takes
    // an access token (EventSource cannot send headers): only the path is kept.
    serializers: {
      req: (req: { method?: string; url?: string; id?: string }) => ({
        method: req.method,
        url: req.url?.split('?')[0],
        id: req.id,
      }),
    },
    ...(config.logFormat === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' },
          },
        }
      : {}),
  });
}

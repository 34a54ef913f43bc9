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
      paths: ['req.headers.authorization', '*.password', '*.refreshToken', '*.accessToken'],
      censor: '[redacted]',
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

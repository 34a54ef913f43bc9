import type { Notification } from '@glimpse/contract';
import { API_BASE, currentAccessToken, refreshSession } from './client.js';

export interface StreamHandlers {
  onNotification: (notification: Notification) => void;
  /** A connection opened after an earlier one dropped: events may have been missed meanwhile. */
  onReconnect: () => void;
}

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;
/** How often the token is compared: a refresh elsewhere (any 401 retry) rotates it. */
const TOKEN_CHECK_MS = 1_000;
/** Close reasons that say nothing about the token: reconnecting with the same one is right. */
const TOKEN_OK_REASONS = new Set(['shutdown', 'too_slow']);

/**
 * The live notification stream (API.md GET /notifications/stream), kept open while signed in.
 *
 * EventSource cannot send an Authorization header, so the access token rides in the query
 * (the server accepts that on this route only). The browser's own retry would reuse a token
 * that may have expired, so every drop is handled here instead: close, refresh the token when
 * it may be the cause, reconnect after a back-off (1 s doubling to 30 s, reset once a
 * connection opens). It stops for good when the session is gone. Returns the stop function.
 */
export function openNotificationStream(handlers: StreamHandlers): () => void {
  let source: EventSource | null = null;
  let token: string | null = null;
  let delay = FIRST_DELAY_MS;
  let opened = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const seen = new Set<string>();

  const connect = () => {
    token = currentAccessToken();
    if (stopped || !token) return;
    const es = new EventSource(`${API_BASE}/notifications/stream?access_token=${encodeURIComponent(token)}`);
    source = es;
    es.addEventListener('open', () => {
      delay = FIRST_DELAY_MS;
      if (opened) handlers.onReconnect();
      opened = true;
    });
    es.addEventListener('notification', (event) => {
      const notification = parse((event as MessageEvent<string>).data);
      // A replay after reconnecting may repeat one already counted.
      if (!notification || seen.has(notification.id)) return;
      seen.add(notification.id);
      handlers.onNotification(notification);
    });
    es.addEventListener('close', (event) => {
      const reason = (parse((event as MessageEvent<string>).data) as { reason?: string } | null)?.reason;
      drop(!TOKEN_OK_REASONS.has(reason ?? ''));
    });
    es.addEventListener('error', () => drop(true));
  };

  /** The connection ended; `tokenSuspect` when an expired or revoked token may be why. */
  const drop = (tokenSuspect: boolean) => {
    if (!source || stopped) return;
    source.close();
    source = null;
    retryLater(tokenSuspect);
  };

  const retryLater = (tokenSuspect: boolean) => {
    const wait = delay;
    delay = Math.min(delay * 2, MAX_DELAY_MS);
    timer = setTimeout(() => void reconnect(tokenSuspect), wait);
  };

  const reconnect = async (tokenSuspect: boolean) => {
    if (stopped) return;
    // Refresh only if nobody else already did; refreshSession shares one refresh anyway.
    if (tokenSuspect && currentAccessToken() === token) {
      try {
        if (!(await refreshSession())) return stop(); // the session is over
      } catch {
        // Network or 503: keep the session, try again after the next back-off.
        return retryLater(true);
      }
    }
    connect();
  };

  const watch = setInterval(() => {
    const now = currentAccessToken();
    if (stopped || now === token) return;
    if (!now) return stop();
    // A new token (refreshed or another account): reconnect with it now rather than at expiry.
    source?.close();
    source = null;
    clearTimeout(timer);
    connect();
  }, TOKEN_CHECK_MS);

  const stop = () => {
    stopped = true;
    clearInterval(watch);
    clearTimeout(timer);
    source?.close();
    source = null;
  };

  connect();
  return stop;
}

function parse(data: string): Notification | null {
  try {
    return JSON.parse(data) as Notification;
  } catch {
    return null;
  }
}

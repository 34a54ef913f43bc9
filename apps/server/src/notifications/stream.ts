import type { Notification } from '@glimpse/contract';
import type { Logger } from 'pino';
import { AppError } from '../lib/errors.js';
import type { NotificationBus } from '../ports/notification-bus.js';
import type { NotificationsService } from './notifications.service.js';

/** Open streams one user may hold on one API process (tabs, devices); more answer 429. */
export const MAX_STREAMS_PER_USER = 10;
/** What EventSource waits before reconnecting after the connection drops (the SSE `retry:` field). */
const RECONNECT_MS = 3_000;
/**
 * A client that stops reading: once this much is waiting in the socket's buffer the stream is
 * closed instead of growing the buffer without bound (the client reconnects and replays).
 */
const MAX_BUFFERED_BYTES = 1 << 20;

/** Where a stream writes: the HTTP response, kept behind this so the hub knows nothing of HTTP. */
export interface EventSink {
  write(chunk: string): void;
  end(): void;
  /** Bytes written but not yet taken by the client. */
  readonly buffered: number;
}

export interface StreamOwner {
  readonly userId: string;
  /** The access token the stream opened with: re-checked on every heartbeat. */
  readonly token: string;
  /** When that token expires (ms since the epoch): the stream closes then, and the client reconnects with a fresh one. */
  readonly expiresAt: number;
}

export interface NotificationStreamsDeps {
  readonly bus: NotificationBus;
  readonly notifications: NotificationsService;
  /** Throws an AppError (401) once the token's session is revoked or the token has expired. */
  readonly authenticate: (token: string) => Promise<unknown>;
  readonly heartbeatMs: number;
  readonly log: Logger;
}

/** Why a stream ended; sent to the client as the `close` event's reason. */
export type CloseReason = 'session_revoked' | 'token_expired' | 'shutdown' | 'too_slow' | 'client_gone';

/**
 * The open notification streams of this process (docs/notifications.md, "The stream"). Each
 * listens on the bus for its user, writes one `notification` event per new notification,
 * heartbeats, and ends when its session does.
 */
export class NotificationStreams {
  readonly #open = new Set<LiveStream>();
  readonly #perUser = new Map<string, number>();

  constructor(private readonly deps: NotificationStreamsDeps) {}

  /**
   * Subscribes for the user, so that nothing created from here on is missed, and returns the
   * stream for the caller to start once the response headers are out.
   */
  async open(owner: StreamOwner, sink: EventSink): Promise<LiveStream> {
    const count = this.#perUser.get(owner.userId) ?? 0;
    if (count >= MAX_STREAMS_PER_USER) {
      throw new AppError(
        429,
        'too_many_streams',
        `At most ${MAX_STREAMS_PER_USER} notification streams at once; close one first.`,
        undefined,
        { 'Retry-After': '30' },
      );
    }
    this.#perUser.set(owner.userId, count + 1);
    const stream = new LiveStream(this.deps, owner, sink, () => {
      this.#open.delete(stream);
      const left = (this.#perUser.get(owner.userId) ?? 1) - 1;
      if (left > 0) this.#perUser.set(owner.userId, left);
      else this.#perUser.delete(owner.userId);
    });
    this.#open.add(stream);
    try {
      await stream.subscribe();
    } catch (err) {
      stream.close('shutdown');
      throw err;
    }
    return stream;
  }

  /** Graceful shutdown: ends every stream, so the server is not kept waiting for them. */
  closeAll(): void {
    for (const stream of [...this.#open]) stream.close('shutdown');
  }

  /** Open streams on this process. */
  get size(): number {
    return this.#open.size;
  }
}

export class LiveStream {
  #started = false;
  #closed = false;
  #unsubscribe: (() => void) | null = null;
  #heartbeat: NodeJS.Timeout | undefined;
  #expiry: NodeJS.Timeout | undefined;
  /** Writes happen one at a time, in the order events arrived; `start` opens the gate. */
  #chain: Promise<void>;
  #begin!: (lastSeen: string | undefined) => void;
  /** Ids sent by the replay, which live events that raced it must not repeat. */
  readonly #replayed = new Set<string>();

  constructor(
    private readonly deps: NotificationStreamsDeps,
    private readonly owner: StreamOwner,
    private readonly sink: EventSink,
    private readonly onClosed: () => void,
  ) {
    this.#chain = new Promise<string | undefined>((resolve) => (this.#begin = resolve)).then((lastSeen) =>
      lastSeen ? this.#replay(lastSeen) : undefined,
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  async subscribe(): Promise<void> {
    const unsubscribe = await this.deps.bus.subscribe(this.owner.userId, (event) =>
      this.#enqueue(() => this.#deliver(event.id)),
    );
    if (this.#closed) unsubscribe();
    else this.#unsubscribe = unsubscribe;
  }

  /** Headers are out: greet, replay what a reconnecting client missed, then go live. */
  start(lastSeen: string | undefined): void {
    if (this.#closed) return;
    this.#started = true;
    this.sink.write(`retry: ${RECONNECT_MS}\n: connected\n\n`);
    this.#heartbeat = setInterval(() => this.#enqueue(() => this.#beat()), this.deps.heartbeatMs);
    // setTimeout keeps 32-bit delays; access tokens live minutes, so this never clips.
    const untilExpiry = Math.min(Math.max(this.owner.expiresAt - Date.now(), 0), 2 ** 31 - 1);
    this.#expiry = setTimeout(() => this.close('token_expired'), untilExpiry);
    this.#begin(lastSeen);
  }

  close(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#expiry);
    this.#unsubscribe?.();
    this.#begin(undefined);
    this.onClosed();
    // Before start, the response is not this stream's yet (the route answers with an error).
    if (!this.#started) return;
    // Tells the client why, so it refreshes its token (or stops) instead of retrying blindly.
    if (reason !== 'client_gone') this.sink.write(`event: close\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.sink.end();
  }

  #enqueue(step: () => Promise<void>): void {
    this.#chain = this.#chain
      .then(() => (this.#closed ? undefined : step()))
      .catch((err: unknown) => this.deps.log.warn({ err }, 'notification stream step failed'));
  }

  async #deliver(id: string): Promise<void> {
    if (this.#replayed.has(id)) return;
    this.#send(await this.deps.notifications.byIds(this.owner.userId, [id]));
  }

  async #replay(lastSeen: string): Promise<void> {
    const missed = await this.deps.notifications.after(this.owner.userId, lastSeen);
    for (const n of missed) this.#replayed.add(n.id);
    this.#send(missed);
  }

  /** A comment line proxies see as traffic; and the session is checked as it goes. */
  async #beat(): Promise<void> {
    try {
      await this.deps.authenticate(this.owner.token);
    } catch (err) {
      if (err instanceof AppError && err.status === 401) {
        this.close(err.code === 'token_expired' ? 'token_expired' : 'session_revoked');
        return;
      }
      // The session store is unreachable: keep the stream; the next beat asks again.
      this.deps.log.warn({ err }, 'could not re-check a notification stream session');
    }
    if (this.#closed) return;
    if (this.sink.buffered > MAX_BUFFERED_BYTES) {
      this.close('too_slow');
      return;
    }
    this.sink.write(': heartbeat\n\n');
  }

  #send(notifications: readonly Notification[]): void {
    if (this.#closed) return;
    for (const n of notifications) {
      this.sink.write(`id: ${n.id}\nevent: notification\ndata: ${JSON.stringify(n)}\n\n`);
    }
  }
}

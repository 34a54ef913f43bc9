import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface SseEvent {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

/** An open Server-Sent Events response, parsed as it arrives (what a browser's EventSource does). */
export interface SseStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Error answers (non-200) as parsed JSON. */
  readonly body: any;
  readonly events: SseEvent[];
  /** Comment lines (heartbeats, the greeting), without the colon. */
  readonly comments: string[];
  /** Resolves when the server ends the response. */
  readonly ended: Promise<void>;
  isEnded(): boolean;
  /** The first event (from `from` on) that `match` accepts; rejects after `timeoutMs`. */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number, from?: number): Promise<SseEvent>;
  /** Waits until `count` comment lines have arrived. */
  comment(count: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

/**
 * GET `url` and keep reading. Resolves once the response headers (and, for a 200, the greeting
 * comment) have arrived, so the stream is subscribed by the time the caller acts.
 */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      let buffer = '';
      let ended = false;
      let raw = '';
      const waiters = new Set<() => void>();
      const wake = () => waiters.forEach((w) => w());
      const endedPromise = new Promise<void>((done) => {
        const finish = () => {
          ended = true;
          wake();
          done();
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          let id: string | null = null;
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          // Like EventSource: a block without data dispatches nothing.
          if (data.length > 0) events.push({ id, event, data: data.join('\n') });
        }
        wake();
      });
      const waitFor = (ready: () => boolean, timeoutMs: number, what: string) =>
        new Promise<void>((ok, fail) => {
          const check = () => {
            if (ready()) {
              clearTimeout(timer);
              waiters.delete(check);
              ok();
            } else if (ended) {
              clearTimeout(timer);
              waiters.delete(check);
              fail(new Error(`stream ended before ${what}; received: ${JSON.stringify(events)}`));
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            fail(new Error(`no ${what} within ${timeoutMs} ms; received: ${JSON.stringify(events)}`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        get body() {
          try {
            return JSON.parse(raw);
          } catch {
            return raw;
          }
        },
        events,
        comments,
        ended: endedPromise,
        isEnded: () => ended,
        next: async (match, timeoutMs = 10_000, from = 0) => {
          let found: SseEvent | undefined;
          await waitFor(
            () => (found = events.slice(from).find(match)) !== undefined,
            timeoutMs,
            'matching event',
          );
          return found!;
        },
        comment: (count, timeoutMs = 10_000) =>
          waitFor(() => comments.length >= count, timeoutMs, `${count} comment lines`),
        close: () => req.destroy(),
      };
      if (res.statusCode !== 200) {
        void endedPromise.then(() => resolve(stream));
        return;
      }
      stream.comment(1).then(
        () => resolve(stream),
        (err: unknown) => reject(err as Error),
      );
    });
    req.end();
  });
}

/** The Notification in a `notification` event. */
export const payloadOf = (e: SseEvent) => JSON.parse(e.data) as Record<string, any>;

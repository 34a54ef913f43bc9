import { Worker } from 'node:worker_threads';
import { ImageRejectedError, type ImageRejection } from '../../ports/image-codec.js';

export interface DecodedRgba {
  readonly width: number;
  readonly height: number;
  readonly alpha: boolean;
  /** width * height * 4 bytes, RGBA. */
  readonly pixels: Buffer;
}

type Reply =
  | { id: number; width: number; height: number; alpha: boolean; pixels: ArrayBuffer }
  | { id: number; error: ImageRejection; message: string };

/** One worker thread running libheif (WASM), started on first use; requests queue up in it. */
export class HeifDecoder {
  #worker: Worker | null = null;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (d: DecodedRgba) => void; reject: (e: Error) => void }>();

  decode(input: Buffer, maxPixels: number): Promise<DecodedRgba> {
    const worker = this.#ensure();
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // A copy goes to the worker: the caller keeps its buffer (it is hashed and may be retried).
      worker.postMessage({ id, input: new Uint8Array(input), maxPixels });
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker) await worker.terminate();
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./heif-worker.mjs', import.meta.url));
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (!waiter) return;
      if ('error' in reply) waiter.reject(new ImageRejectedError(reply.error, reply.message));
      else waiter.resolve({ ...reply, pixels: Buffer.from(reply.pixels) });
    });
    // A crashed worker (out of memory on a hostile file) fails what it held; the next call starts a new one.
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = null;
      for (const waiter of this.#pending.values()) waiter.reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the HEIF decoder stopped (exit ${code})`)));
    this.#worker = worker;
    return worker;
  }
}

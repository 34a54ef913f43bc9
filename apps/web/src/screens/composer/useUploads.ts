import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, putWithProgress } from '../../api/index.js';
import { humanError } from '../../lib/errors.js';
import { processingFailure } from '../../lib/files.js';

/**
 * The photos of a draft and their uploads. Each file starts uploading as soon as it is added,
 * two at a time: create a slot, PUT the bytes (progress in bytes from XHR), complete, then
 * watch the server process it. Removing a photo aborts its transfer; leaving the screen aborts
 * all of them and frees the preview URLs.
 */
export type Phase = 'queued' | 'uploading' | 'processing' | 'ready' | 'failed';

export interface Item {
  key: string;
  file: File;
  type: string;
  preview: string;
  phase: Phase;
  sent: number;
  total: number;
  mediaId: string | null;
  error: string | null;
  /** A transfer error can pass on a second try; a photo the server could not decode cannot. */
  retryable: boolean;
  alt: string;
}

const PARALLEL = 2;
const POLL_MS = 1000;
let nextKey = 1;

export function useUploads() {
  const [items, setItems] = useState<Item[]>([]);
  const controllers = useRef(new Map<string, AbortController>());
  const previews = useRef(new Set<string>());

  const update = useCallback((key: string, patch: Partial<Item>) => {
    setItems((list) => list.map((item) => (item.key === key ? { ...item, ...patch } : item)));
  }, []);

  const run = useCallback(
    async (item: Item) => {
      const controller = new AbortController();
      controllers.current.set(item.key, controller);
      const aborted = () => controller.signal.aborted;
      try {
        const slot = await api.createUpload(item.type, item.file.size);
        if (aborted()) return;
        update(item.key, { mediaId: slot.media.id });
        await putWithProgress(
          slot.upload,
          item.file,
          (sent, total) => !aborted() && update(item.key, { sent, total }),
          controller.signal,
        );
        if (aborted()) return;
        const { media } = await api.completeUpload(slot.media.id);
        if (aborted()) return;
        update(item.key, {
          phase: media.status === 'ready' ? 'ready' : media.status === 'failed' ? 'failed' : 'processing',
          error: media.status === 'failed' ? processingFailure(media.error?.code) : null,
          retryable: false,
        });
      } catch (error) {
        // The same bytes get the same 400/413/415 again; anything else may pass on a retry.
        const final = error instanceof ApiError && [400, 413, 415].includes(error.status);
        if (!aborted()) update(item.key, { phase: 'failed', error: humanError(error), retryable: !final });
      } finally {
        if (controllers.current.get(item.key) === controller) controllers.current.delete(item.key);
      }
    },
    [update],
  );

  // The queue: whenever a slot frees up, the next waiting photo starts.
  useEffect(() => {
    const busy = items.filter((i) => i.phase === 'uploading').length;
    const next = items.filter((i) => i.phase === 'queued').slice(0, Math.max(0, PARALLEL - busy));
    if (next.length === 0) return;
    const keys = new Set(next.map((i) => i.key));
    setItems((list) => list.map((i) => (keys.has(i.key) ? { ...i, phase: 'uploading', sent: 0 } : i)));
    for (const item of next) void run(item);
  }, [items, run]);

  // Processing happens on the server; ask about each photo until it is ready or failed.
  const processingKey = items
    .filter((i) => i.phase === 'processing' && i.mediaId)
    .map((i) => i.mediaId!)
    .join(',');
  useEffect(() => {
    if (!processingKey) return;
    const timer = setInterval(async () => {
      for (const id of processingKey.split(',')) {
        try {
          const media = await api.media(id);
          if (media.status === 'processing') continue;
          setItems((list) =>
            list.map((i) =>
              i.mediaId === id && i.phase === 'processing'
                ? {
                    ...i,
                    phase: media.status === 'failed' ? 'failed' : 'ready',
                    error: media.status === 'failed' ? processingFailure(media.error?.code) : null,
                    retryable: false,
                  }
                : i,
            ),
          );
        } catch {
          // A missed poll is retried on the next tick; the post itself reports the final state.
        }
      }
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [processingKey]);

  useEffect(() => {
    const open = controllers.current;
    const urls = previews.current;
    return () => {
      for (const controller of open.values()) controller.abort();
      for (const url of urls) URL.revokeObjectURL(url);
    };
  }, []);

  const add = useCallback((files: { file: File; type: string }[]) => {
    const added = files.map(({ file, type }): Item => {
      const preview = URL.createObjectURL(file);
      previews.current.add(preview);
      return {
        key: `photo-${nextKey++}`,
        file,
        type,
        preview,
        phase: 'queued',
        sent: 0,
        total: file.size,
        mediaId: null,
        error: null,
        retryable: false,
        alt: '',
      };
    });
    setItems((list) => [...list, ...added]);
  }, []);

  const remove = useCallback((key: string) => {
    controllers.current.get(key)?.abort();
    setItems((list) => {
      const gone = list.find((i) => i.key === key);
      if (gone) {
        URL.revokeObjectURL(gone.preview);
        previews.current.delete(gone.preview);
      }
      return list.filter((i) => i.key !== key);
    });
  }, []);

  const move = useCallback((key: string, by: number) => {
    setItems((list) => {
      const from = list.findIndex((i) => i.key === key);
      const to = from + by;
      if (from < 0 || to < 0 || to >= list.length) return list;
      const next = [...list];
      const [item] = next.splice(from, 1);
      next.splice(to, 0, item!);
      return next;
    });
  }, []);

  /** Drag to reorder: `key` takes position `to`. */
  const moveTo = useCallback(
    (key: string, to: number) =>
      setItems((list) => {
        const from = list.findIndex((i) => i.key === key);
        if (from < 0 || from === to) return list;
        const next = [...list];
        const [item] = next.splice(from, 1);
        next.splice(to, 0, item!);
        return next;
      }),
    [],
  );

  const retry = useCallback(
    (key: string) => update(key, { phase: 'queued', error: null, sent: 0, mediaId: null }),
    [update],
  );
  const setAlt = useCallback((key: string, alt: string) => update(key, { alt }), [update]);
  /** After a post failed on a photo: mark it so the author can remove it and share the rest. */
  const markFailed = useCallback(
    (mediaId: string, error: string) =>
      setItems((list) =>
        list.map((i) => (i.mediaId === mediaId ? { ...i, phase: 'failed', error, retryable: false } : i)),
      ),
    [],
  );

  return { items, add, remove, move, moveTo, retry, setAlt, markFailed };
}

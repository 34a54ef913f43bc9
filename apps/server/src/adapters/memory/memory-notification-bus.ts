import type {
  NotificationBus,
  NotificationEvent,
  NotificationListener,
} from '../../ports/notification-bus.js';

/**
 * The embedded shape's bus: one process runs the worker and the API, so an event only has to
 * reach the listeners in this process.
 */
export class MemoryNotificationBus implements NotificationBus {
  readonly #listeners = new Map<string, Set<NotificationListener>>();

  async publish(events: readonly NotificationEvent[]): Promise<void> {
    for (const event of events) deliver(this.#listeners, event);
  }

  async subscribe(recipientId: string, listener: NotificationListener): Promise<() => void> {
    return addListener(this.#listeners, recipientId, listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

/** Shared with the Redis bus, which demultiplexes its one channel the same way. */
export function addListener(
  listeners: Map<string, Set<NotificationListener>>,
  recipientId: string,
  listener: NotificationListener,
): () => void {
  // A wrapper per subscription, so subscribing the same function twice needs two unsubscribes.
  const entry: NotificationListener = (event) => listener(event);
  const set = listeners.get(recipientId) ?? new Set();
  set.add(entry);
  listeners.set(recipientId, set);
  return () => {
    set.delete(entry);
    if (set.size === 0 && listeners.get(recipientId) === set) listeners.delete(recipientId);
  };
}

export function deliver(listeners: Map<string, Set<NotificationListener>>, event: NotificationEvent): void {
  for (const listener of [...(listeners.get(event.recipientId) ?? [])]) {
    // One broken stream must not keep the event from the others.
    try {
      listener(event);
    } catch {
      /* the listener's own problem */
    }
  }
}

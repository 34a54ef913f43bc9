/** "Notification `id` was just created for `recipientId`": all a live stream needs to fetch it. */
export interface NotificationEvent {
  readonly id: string;
  readonly recipientId: string;
}

export type NotificationListener = (event: NotificationEvent) => void;

/**
 * Carries new notifications from the worker that created them to the API process holding the
 * recipient's open stream. Delivery is best effort and at most once: a lost event only means
 * the notification shows up on the next list read (or a Last-Event-ID reconnect) instead of live.
 */
export interface NotificationBus {
  /** Resolves once the events are handed to the transport. */
  publish(events: readonly NotificationEvent[]): Promise<void>;
  /**
   * Calls `listener` for every event addressed to `recipientId` published after the returned
   * promise resolves; the function it resolves to unsubscribes.
   */
  subscribe(recipientId: string, listener: NotificationListener): Promise<() => void>;
  close(): Promise<void>;
}

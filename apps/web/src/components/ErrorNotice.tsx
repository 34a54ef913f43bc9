import { humanError } from '../lib/errors.js';

/** A failed load as a sentence and a way forward; never a blank screen. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="notice notice-error" role="alert">
      <p>{humanError(error)}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="notice">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function NotFound() {
  return (
    <div className="notice">
      <h2>This page is not here</h2>
      <p className="muted">The link may be broken, or the page was removed.</p>
    </div>
  );
}

/** A screen or list still on its way: announced to screen readers, never an empty page. */
export function Loading({ text = 'Loading…' }: { text?: string }) {
  return (
    <p className="page-status" role="status">
      {text}
    </p>
  );
}

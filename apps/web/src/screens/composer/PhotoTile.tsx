import { ALT_TEXT_MAX } from '@glimpse/contract/limits';
import { useState } from 'react';
import { Field } from '../../components/Field.js';
import { ChevronLeft, ChevronRight, CloseIcon } from '../../components/icons.js';
import { isHeic } from '../../lib/files.js';
import type { Item } from './useUploads.js';

const DRAG_TYPE = 'application/x-glimpse-photo';

/** One photo of the draft: preview, upload state, order and remove buttons, alt text. */
export function PhotoTile({
  item,
  index,
  count,
  locked,
  onMove,
  onRemove,
  onRetry,
  onAlt,
  onDropPhoto,
}: {
  item: Item;
  index: number;
  count: number;
  locked: boolean;
  onMove: (by: number) => void;
  onRemove: () => void;
  onRetry: () => void;
  onAlt: (alt: string) => void;
  /** Another tile (by key) was dragged onto this one. */
  onDropPhoto: (key: string) => void;
}) {
  const n = index + 1;
  const [previewFailed, setPreviewFailed] = useState(false);
  const [dragOver, setDragOver] = useState(false);

  return (
    <li
      className={`composer-photo is-${item.phase} ${dragOver ? 'is-drop-target' : ''}`}
      // Mouse users can also drag tiles into order; the buttons remain the keyboard way.
      draggable={!locked}
      onDragStart={(event) => {
        if ((event.target as HTMLElement).closest('input')) return event.preventDefault();
        event.dataTransfer.setData(DRAG_TYPE, item.key);
        event.dataTransfer.effectAllowed = 'move';
      }}
      onDragOver={(event) => {
        if (!event.dataTransfer.types.includes(DRAG_TYPE)) return;
        event.preventDefault();
        setDragOver(true);
      }}
      onDragLeave={() => setDragOver(false)}
      onDrop={(event) => {
        setDragOver(false);
        const key = event.dataTransfer.getData(DRAG_TYPE);
        if (!key) return;
        event.preventDefault();
        onDropPhoto(key);
      }}
    >
      <div className="composer-thumb">
        {previewFailed ? (
          <span className="composer-no-preview">
            {isHeic(item.type) ? 'HEIC photo — preview not available' : 'Preview not available'}
          </span>
        ) : (
          <img src={item.preview} alt={`Preview of photo ${n}`} onError={() => setPreviewFailed(true)} />
        )}
        <span className="composer-index" aria-hidden>
          {n}
        </span>
      </div>
      <div className="composer-photo-body">
        <div className="composer-photo-head">
          <span className="composer-file-name" title={item.file.name}>
            {item.file.name}
          </span>
          <button
            type="button"
            className="icon-button"
            aria-label={`Move photo ${n} earlier`}
            disabled={locked}
            // aria-disabled, not disabled, at the ends: the focus stays on the button that moved.
            aria-disabled={index === 0}
            onClick={() => index > 0 && onMove(-1)}
          >
            <ChevronLeft />
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={`Move photo ${n} later`}
            disabled={locked}
            aria-disabled={index === count - 1}
            onClick={() => index < count - 1 && onMove(1)}
          >
            <ChevronRight />
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={`Remove photo ${n}`}
            disabled={locked}
            onClick={onRemove}
          >
            <CloseIcon />
          </button>
        </div>
        <UploadState item={item} onRetry={onRetry} locked={locked} />
        <Field
          label={`Alt text for photo ${n}`}
          value={item.alt}
          maxLength={ALT_TEXT_MAX}
          placeholder="Optional: describe the photo"
          disabled={locked}
          onChange={(event) => onAlt(event.target.value)}
        />
      </div>
    </li>
  );
}

function UploadState({ item, onRetry, locked }: { item: Item; onRetry: () => void; locked: boolean }) {
  if (item.phase === 'failed') {
    return (
      <div className="composer-error" role="alert">
        <span>{item.error ?? 'This photo could not be uploaded.'}</span>
        {item.retryable && (
          <button type="button" onClick={onRetry} disabled={locked}>
            Retry
          </button>
        )}
      </div>
    );
  }
  if (item.phase === 'ready') return <p className="composer-state is-ready small">Uploaded</p>;
  // While the server processes it the bar stays, full, so the upload never seems to vanish.
  const percent =
    item.phase === 'processing'
      ? 100
      : item.total > 0
        ? Math.min(100, Math.round((item.sent / item.total) * 100))
        : 0;
  return (
    <div className="composer-progress">
      <div
        className="progress"
        role="progressbar"
        aria-label={`Uploading ${item.file.name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <span style={{ width: `${percent}%` }} />
      </div>
      <span className="small muted" aria-hidden={item.phase === 'uploading'}>
        {item.phase === 'queued' ? 'Waiting…' : item.phase === 'processing' ? 'Processing…' : `${percent}%`}
      </span>
    </div>
  );
}

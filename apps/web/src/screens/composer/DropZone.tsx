import { MEDIA_PER_POST_MAX } from '@glimpse/contract/limits';
import { useId, useState, type DragEvent } from 'react';
import { PlusIcon } from '../../components/icons.js';
import { ACCEPT_ATTRIBUTE, ACCEPTED_KINDS } from '../../lib/files.js';

/**
 * The photo picker: a real file input (so keyboards, screen readers and phones' own pickers
 * work) under a large target that also takes files dropped on it.
 */
export function DropZone({
  count,
  disabled,
  onFiles,
}: {
  count: number;
  disabled: boolean;
  onFiles: (files: File[]) => void;
}) {
  const id = useId();
  const [over, setOver] = useState(false);
  const full = count >= MEDIA_PER_POST_MAX;
  const hasFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files');

  return (
    <label
      htmlFor={id}
      className={`drop-zone ${over ? 'is-over' : ''} ${count > 0 ? 'is-compact' : ''} ${full ? 'is-full' : ''}`}
      onDragOver={(event) => {
        if (!hasFiles(event) || disabled || full) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        setOver(false);
        if (!disabled && !full) onFiles([...event.dataTransfer.files]);
      }}
    >
      <input
        id={id}
        type="file"
        multiple
        accept={ACCEPT_ATTRIBUTE}
        className="visually-hidden"
        aria-label="Add photos"
        aria-describedby={`${id}-hint`}
        disabled={disabled || full}
        onChange={(event) => {
          onFiles([...(event.target.files ?? [])]);
          // The same file can be picked again after being removed.
          event.target.value = '';
        }}
      />
      <PlusIcon />
      <span className="drop-zone-title">{count > 0 ? 'Add more photos' : 'Add photos'}</span>
      <span className="small muted" id={`${id}-hint`}>
        {full
          ? `That is the most a post can have (${MEDIA_PER_POST_MAX}).`
          : count === 0
            ? `Choose or drop 1 to ${MEDIA_PER_POST_MAX} photos: ${ACCEPTED_KINDS}, up to 50 MB each.`
            : `You can add ${MEDIA_PER_POST_MAX - count} more.`}
      </span>
    </label>
  );
}

import { CAPTION_MAX, LOCATION_MAX } from '@glimpse/contract/limits';
import { useEffect, useState, type FormEvent } from 'react';
import { Field } from '../components/Field.js';
import { admitFiles } from '../lib/files.js';
import { DropZone } from './composer/DropZone.js';
import { PhotoTile } from './composer/PhotoTile.js';
import { TextArea, textLength } from '../components/TextArea.js';
import { usePublish } from './composer/usePublish.js';
import { useUploads } from './composer/useUploads.js';
import './composer/composer.css';

/**
 * New post: photos upload while the caption is being written, so Share is usually instant.
 * The server publishes the post once every photo is processed; this screen waits for that and
 * then opens the post.
 */
export function Composer() {
  const uploads = useUploads();
  const { state, share, backToEditing } = usePublish();
  const [caption, setCaption] = useState('');
  const [location, setLocation] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const { items, markFailed } = uploads;
  const locked = state.step !== 'editing';

  const busy = items.some((i) => i.phase === 'queued' || i.phase === 'uploading');
  const failing = items.some((i) => i.phase === 'failed');
  const tooLong = textLength(caption) > CAPTION_MAX;
  const canShare = items.length > 0 && !busy && !failing && !tooLong && !locked;

  // Closing the tab mid-upload or mid-publish loses the work: ask first.
  const unsaved = busy || state.step === 'sending' || state.step === 'processing';
  useEffect(() => {
    if (!unsaved) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [unsaved]);

  // A photo dropped beside the drop zone would make the browser open it and lose the draft.
  useEffect(() => {
    const keep = (event: DragEvent) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    };
    window.addEventListener('dragover', keep);
    window.addEventListener('drop', keep);
    return () => {
      window.removeEventListener('dragover', keep);
      window.removeEventListener('drop', keep);
    };
  }, []);

  // A post that failed on a photo: mark that photo so it can be removed and the rest shared.
  useEffect(() => {
    if (state.step !== 'failed') return;
    const media = state.post.media[state.photo];
    if (media) markFailed(media.id, state.message);
  }, [state, markFailed]);

  function addFiles(files: File[]) {
    const { accepted, problems } = admitFiles(files, items.length);
    setProblems(problems);
    uploads.add(accepted);
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!canShare) return;
    const alts = items.map((i) => i.alt.trim());
    void share({
      mediaIds: items.map((i) => i.mediaId!),
      ...(alts.some(Boolean) && { altTexts: alts }),
      ...(caption.trim() && { caption: caption.trim() }),
      ...(location.trim() && { location: location.trim() }),
    });
  }

  const hint = failing
    ? 'Remove or retry the photos that did not upload.'
    : busy
      ? 'Waiting for the uploads to finish…'
      : items.length === 0
        ? 'Add at least one photo.'
        : null;

  return (
    <form className="composer" onSubmit={onSubmit} noValidate>
      <header className="page-header">
        <h1>New post</h1>
      </header>
      <DropZone count={items.length} disabled={locked} onFiles={addFiles} />
      {problems.length > 0 && (
        <div className="notice notice-error composer-problems" role="alert">
          {problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      )}
      {items.length > 0 && (
        <ol className="composer-photos" aria-label="Photos in this post">
          {items.map((item, index) => (
            <PhotoTile
              key={item.key}
              item={item}
              index={index}
              count={items.length}
              locked={locked}
              onMove={(by) => uploads.move(item.key, by)}
              onDropPhoto={(key) => uploads.moveTo(key, index)}
              onRemove={() => uploads.remove(item.key)}
              onRetry={() => uploads.retry(item.key)}
              onAlt={(alt) => uploads.setAlt(item.key, alt)}
            />
          ))}
        </ol>
      )}
      <div className="card composer-details">
        <TextArea
          label="Caption"
          max={CAPTION_MAX}
          value={caption}
          rows={4}
          placeholder="Write a caption… #hashtags and @mentions become links"
          disabled={locked}
          onChange={(event) => setCaption(event.target.value)}
        />
        <Field
          label="Location"
          value={location}
          maxLength={LOCATION_MAX}
          autoComplete="off"
          disabled={locked}
          onChange={(event) => setLocation(event.target.value)}
        />
        <PublishStatus step={state} onBack={backToEditing} />
        {state.step === 'editing' && hint && <p className="small muted composer-hint">{hint}</p>}
        <button type="submit" className="primary" disabled={!canShare}>
          {state.step === 'sending' ? 'Sharing…' : 'Share'}
        </button>
      </div>
    </form>
  );
}

function PublishStatus({
  step,
  onBack,
}: {
  step: ReturnType<typeof usePublish>['state'];
  onBack: () => void;
}) {
  if (step.step === 'processing' || step.step === 'sending') {
    return (
      <p className="composer-publishing" role="status">
        <span className="spinner" aria-hidden />
        {step.step === 'sending' ? 'Sharing…' : 'Processing your photos…'}
      </p>
    );
  }
  if (step.step === 'failed') {
    return (
      <div className="notice notice-error composer-failed" role="alert">
        <p>
          Photo {step.photo + 1} did not work: {step.message} Remove it and share the others.
        </p>
        <button type="button" onClick={onBack}>
          Back to editing
        </button>
      </div>
    );
  }
  return null;
}

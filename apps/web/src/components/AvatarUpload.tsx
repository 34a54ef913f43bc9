import type { Me } from '@glimpse/contract';
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { api, putWithProgress } from '../api/index.js';
import { humanError } from '../lib/errors.js';
import { ACCEPT_ATTRIBUTE, checkFile, processingFailure } from '../lib/files.js';
import { Avatar } from './Avatar.js';
import { toast } from './Toasts.js';

type Phase = { kind: 'idle' } | { kind: 'uploading'; name: string; percent: number } | { kind: 'processing' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The avatar with "Change photo": the same media flow as a post (upload slot, PUT with
 * progress, complete, wait until processed), then the profile points at the new media.
 */
export function AvatarUpload({ me, onChange }: { me: Me; onChange: (me: Me) => void }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  async function upload(file: File) {
    setError(null);
    // Same rules as the composer: type (HEIC by extension too), 50 MB, not empty.
    const check = checkFile(file);
    if (!check.ok) return setError(check.message);
    const type = check.type;
    const controller = new AbortController();
    abort.current = controller;
    try {
      setPhase({ kind: 'uploading', name: file.name, percent: 0 });
      const slot = await api.createUpload(type, file.size);
      await putWithProgress(
        slot.upload,
        file,
        (sent, total) =>
          setPhase({ kind: 'uploading', name: file.name, percent: Math.round((sent / (total || 1)) * 100) }),
        controller.signal,
      );
      setPhase({ kind: 'processing' });
      let media = (await api.completeUpload(slot.media.id)).media;
      // Processing takes a second or two; give up after about a minute rather than spin forever.
      for (let tries = 0; media.status !== 'ready' && media.status !== 'failed' && tries < 60; tries++) {
        await sleep(1000);
        if (controller.signal.aborted) return;
        media = await api.media(media.id);
      }
      // The server's message is for operators ("Input buffer has corrupt header"); the code has a sentence.
      if (media.status === 'failed')
        throw new Error(`${processingFailure(media.error?.code)} Try another one.`);
      if (media.status !== 'ready')
        throw new Error('Processing this photo is taking too long. Try again later.');
      onChange(await api.updateMe({ avatarMediaId: media.id }));
      toast('Profile photo updated.');
    } catch (err) {
      if (controller.signal.aborted) return;
      setError(err instanceof Error && !('status' in err) ? err.message : humanError(err));
    } finally {
      if (!controller.signal.aborted) setPhase({ kind: 'idle' });
    }
  }

  function picked(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = ''; // picking the same file again after an error still fires
    if (file) void upload(file);
  }

  const busy = phase.kind !== 'idle';
  return (
    <div className="avatar-upload">
      <Avatar user={me} size={72} />
      <div className="avatar-upload-side">
        <strong>{me.username}</strong>
        <label className={`change-photo ${busy ? 'is-busy' : ''}`}>
          <input
            type="file"
            accept={ACCEPT_ATTRIBUTE}
            onChange={picked}
            disabled={busy}
            className="visually-hidden"
          />
          <span>{busy ? 'Uploading…' : 'Change photo'}</span>
        </label>
        {phase.kind === 'uploading' && (
          <div
            className="progress"
            role="progressbar"
            aria-label={`Uploading ${phase.name}`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={phase.percent}
          >
            <span style={{ width: `${phase.percent}%` }} />
          </div>
        )}
        {phase.kind === 'processing' && (
          <p className="muted small" role="status">
            Processing your photo…
          </p>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}

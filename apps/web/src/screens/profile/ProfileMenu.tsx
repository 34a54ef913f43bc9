import type { User } from '@glimpse/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { api } from '../../api/index.js';
import { MoreIcon } from '../../components/icons.js';
import { toast } from '../../components/Toasts.js';
import { humanError } from '../../lib/errors.js';
import { useMe } from '../../session.js';
import { BLOCKS_KEY } from './blocked.js';

/** "More options" on someone else's profile: block and mute. */
export function ProfileMenu({ user }: { user: User }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const menu = useRef<HTMLDetailsElement>(null);
  const [busy, setBusy] = useState(false);
  const muting = Boolean(user.relationship?.muting);

  async function run(action: () => Promise<void>, done: string) {
    setBusy(true);
    try {
      await action();
      if (menu.current) menu.current.open = false;
      toast(done);
      void queryClient.invalidateQueries({ queryKey: ['user', user.username] });
      void queryClient.invalidateQueries({ queryKey: ['feed'] });
    } catch (error) {
      toast(humanError(error), 'error');
    } finally {
      setBusy(false);
    }
  }

  function block() {
    const question =
      `Block ${user.username}? They will not be able to find your profile or see your posts, ` +
      'and you will stop following each other. They are not told.';
    if (!window.confirm(question)) return;
    void run(async () => {
      await api.block(user.id);
      void queryClient.invalidateQueries({ queryKey: BLOCKS_KEY });
      void queryClient.invalidateQueries({ queryKey: ['user', me.username] });
    }, `You blocked ${user.username}.`);
  }

  return (
    <details className="menu" ref={menu}>
      {/* role=button: some tools (and the e2e test) look for a button; a bare summary has no such role. */}
      <summary className="icon-button" role="button" aria-label="More options">
        <MoreIcon />
      </summary>
      <div className="menu-items">
        <button type="button" className="danger" onClick={block} disabled={busy}>
          Block
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            void run(
              () => (muting ? api.unmute(user.id) : api.mute(user.id)),
              muting
                ? `Unmuted ${user.username}. Their posts can show in your feed again.`
                : `Muted ${user.username}. Their posts will not show in your feed; they are not told.`,
            )
          }
        >
          {muting ? 'Unmute' : 'Mute'}
        </button>
      </div>
    </details>
  );
}

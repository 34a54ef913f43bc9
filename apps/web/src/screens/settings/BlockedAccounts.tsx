import type { BlockedAccount } from '@glimpse/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/index.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { LoadMore, usePaged } from '../../components/Paged.js';
import { toast } from '../../components/Toasts.js';
import { humanError } from '../../lib/errors.js';
import { BLOCKS_KEY } from '../profile/blocked.js';

/** The accounts I blocked, each with Unblock: the one place a block can always be undone. */
export function BlockedAccounts() {
  const blocks = usePaged(
    [...BLOCKS_KEY, 'list'],
    (cursor) => api.blocks(cursor),
    (page) => page.accounts,
  );
  return (
    <section className="card settings-card" aria-labelledby="blocked-title">
      <h2 id="blocked-title">Blocked accounts</h2>
      {blocks.isPending ? (
        <p className="muted small" role="status">
          Loading…
        </p>
      ) : blocks.isError && !blocks.data ? (
        <ErrorNotice error={blocks.error} onRetry={() => void blocks.refetch()} />
      ) : blocks.items.length === 0 ? (
        <p className="muted small">You have not blocked anyone.</p>
      ) : (
        <ul className="user-list blocked-list" aria-label="Blocked accounts">
          {blocks.items.map((account) => (
            <BlockedRow key={account.id} account={account} />
          ))}
        </ul>
      )}
      <LoadMore query={blocks} />
    </section>
  );
}

function BlockedRow({ account }: { account: BlockedAccount }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  async function unblock() {
    setBusy(true);
    try {
      await api.unblock(account.id);
      toast(`Unblocked ${account.username}.`);
      await queryClient.invalidateQueries({ queryKey: BLOCKS_KEY });
      void queryClient.invalidateQueries({ queryKey: ['user', account.username] });
    } catch (error) {
      toast(humanError(error), 'error');
      setBusy(false);
    }
  }
  return (
    <li className="user-row">
      <span className="user-row-names">
        <strong>{account.username}</strong>
        <span className="muted small">Blocked {new Date(account.blockedAt).toLocaleDateString()}</span>
      </span>
      <button
        type="button"
        className="push-right"
        onClick={() => void unblock()}
        disabled={busy}
        aria-label={`Unblock ${account.username}`}
      >
        Unblock
      </button>
    </li>
  );
}

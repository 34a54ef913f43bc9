import type { SearchType } from '@glimpse/contract';
import { useRef, type KeyboardEvent } from 'react';

export const SEARCH_TABS: { type: SearchType; label: string }[] = [
  { type: 'users', label: 'Accounts' },
  { type: 'hashtags', label: 'Tags' },
  { type: 'posts', label: 'Posts' },
];

export const tabId = (type: SearchType) => `search-tab-${type}`;
export const PANEL_ID = 'search-results';

/**
 * The WAI-ARIA tabs pattern: one tab stop for the group, arrow keys (and Home/End) move between
 * the tabs and select as they go, since switching only re-runs the same search.
 */
export function SearchTabs({ value, onChange }: { value: SearchType; onChange: (type: SearchType) => void }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);

  const onKeyDown = (event: KeyboardEvent) => {
    const current = SEARCH_TABS.findIndex((tab) => tab.type === value);
    const last = SEARCH_TABS.length - 1;
    const next =
      event.key === 'ArrowRight'
        ? (current + 1) % SEARCH_TABS.length
        : event.key === 'ArrowLeft'
          ? (current + last) % SEARCH_TABS.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : null;
    if (next === null) return;
    event.preventDefault();
    onChange(SEARCH_TABS[next]!.type);
    refs.current[next]?.focus();
  };

  return (
    <div className="segmented" role="tablist" aria-label="Search for" onKeyDown={onKeyDown}>
      {SEARCH_TABS.map((tab, i) => {
        const selected = tab.type === value;
        return (
          <button
            key={tab.type}
            ref={(el) => {
              refs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={tabId(tab.type)}
            aria-selected={selected}
            aria-controls={PANEL_ID}
            tabIndex={selected ? 0 : -1}
            onClick={() => onChange(tab.type)}
          >
            {tab.label}
          </button>
        );
      })}
    </div>
  );
}

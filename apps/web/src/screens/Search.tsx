import type { SearchType } from '@glimpse/contract';
import { SEARCH_QUERY_MAX } from '@glimpse/contract/limits';
import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { useDebounced } from '../lib/debounce.js';
import { SearchResults } from './discovery/SearchResults.js';
import { SEARCH_TABS, SearchTabs } from './discovery/SearchTabs.js';
import { TrendingTags } from './discovery/TrendingTags.js';
import './discovery/discovery.css';

const DEBOUNCE_MS = 250;

function typeFrom(value: string | null): SearchType {
  return SEARCH_TABS.find((tab) => tab.type === value)?.type ?? 'users';
}

/** The server ignores a leading @ or # too; stripping it here lets "#cat" and "cat" share a cache entry. */
function normalise(text: string): string {
  return text
    .trim()
    .replace(/^[@#]+/, '')
    .trim();
}

/**
 * Search as you type (`/search?q=&type=`). The text and tab live in the URL (replaced, not
 * pushed, so Back leaves the screen) so a refresh or coming back shows the same results.
 */
export function Search() {
  const [, navigate] = useLocation();
  const params = new URLSearchParams(useSearch());
  const [text, setText] = useState(() => params.get('q') ?? '');
  const [type, setType] = useState<SearchType>(() => typeFrom(params.get('type')));
  const q = normalise(useDebounced(text, DEBOUNCE_MS));
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // Focus at once only where a keyboard is likely; on phones it would pop up over the trending tags.
    if (window.matchMedia('(hover: hover) and (pointer: fine)').matches) input.current?.focus();
  }, []);

  useEffect(() => {
    const search = new URLSearchParams();
    if (q) search.set('q', q);
    search.set('type', type);
    const next = `?${search.toString()}`;
    if (window.location.search !== next) navigate(`/search${next}`, { replace: true });
  }, [q, type, navigate]);

  const onText = (value: string) => {
    setText(value);
    const lead = value.trimStart().charAt(0);
    if (lead === '@') setType('users');
    else if (lead === '#') setType('hashtags');
  };

  return (
    <div className="search-screen">
      <h1 className="visually-hidden">Search</h1>
      <form className="search-box" role="search" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor="search-input" className="visually-hidden">
          Search
        </label>
        <input
          ref={input}
          id="search-input"
          type="search"
          placeholder="Search people, #tags, posts"
          value={text}
          maxLength={SEARCH_QUERY_MAX}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          enterKeyHint="search"
          onChange={(event) => onText(event.target.value)}
        />
      </form>
      <SearchTabs value={type} onChange={setType} />
      {q ? (
        <SearchResults type={type} q={q} />
      ) : (
        <div id="search-results" role="tabpanel" aria-label="Suggestions" className="search-idle">
          <TrendingTags />
          <p className="search-explore">
            <Link href="/explore" className="button-link">
              Explore popular posts
            </Link>
          </p>
        </div>
      )}
    </div>
  );
}

import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Page } from "../api/types";
import { ErrorBanner } from "./error-banner";

export interface PagedState<T> {
  items: T[];
  /** Replaces the list with its first page again (after a change, or on the "new posts" pill). */
  reload: () => void;
  /** Changes items in place (a like, a removal) without refetching. */
  setItems: (update: (items: T[]) => T[]) => void;
}

/**
 * A list read page by page with `nextCursor`, the next page loaded when the end of the list scrolls into view
 * (infinite scroll), or with the "Load more" button for keyboard users. Errors show with a retry, never a blank.
 */
export function usePaged<T>(
  load: (cursor: string | null) => Promise<Page<T>>,
  deps: readonly unknown[],
): PagedState<T> & {
  loading: boolean;
  error: unknown;
  done: boolean;
  more: () => void;
} {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);
  const busy = useRef(false);

  const fetchPage = useCallback((from: string | null, replace: boolean) => {
    if (busy.current && !replace) return;
    const mine = ++generation.current;
    busy.current = true;
    setLoading(true);
    setError(null);
    load(from).then(
      (page) => {
        if (mine !== generation.current) return;
        setItems((old) => withoutRepeats(replace ? [] : old, page.items));
        setCursor(page.nextCursor);
        setDone(page.nextCursor === null);
        setLoading(false);
        busy.current = false;
      },
      (err: unknown) => {
        if (mine !== generation.current) return;
        setError(err);
        setLoading(false);
        busy.current = false;
      },
    );
  }, deps);

  useEffect(() => {
    setItems([]);
    setDone(false);
    fetchPage(null, true);
  }, [fetchPage]);

  return {
    items,
    loading,
    error,
    done,
    setItems: (update) => setItems(update),
    reload: () => fetchPage(null, true),
    more: () => {
      if (!done) fetchPage(cursor, false);
    },
  };
}

/**
 * `items` after `kept`, leaving out any whose `id` is already there: a page answered twice (a scroll and a retry
 * racing, or a list that shifted between two pages) never shows the same thing twice.
 */
function withoutRepeats<T>(kept: readonly T[], items: readonly T[]): T[] {
  const seen = new Set(kept.map(idOf));
  const added = items.filter((item) => {
    const id = idOf(item);
    if (id === undefined) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return [...kept, ...added];
}

function idOf(item: unknown): string | undefined {
  return typeof item === "object" && item !== null && "id" in item && typeof item.id === "string"
    ? item.id
    : undefined;
}

/** Renders a paged list's footer: loading, error with retry, the end, and the sentinel that loads more. */
export function PagedFooter(props: {
  state: { loading: boolean; error: unknown; done: boolean; more: () => void; items: readonly unknown[] };
  empty: ComponentChildren;
}) {
  const { state } = props;
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = sentinel.current;
    // Not after an error: the sentinel stays in view, and would ask again and again; "Try again" does.
    if (!el || state.done || state.error !== null) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) state.more();
    });
    observer.observe(el);
    return () => observer.disconnect();
  });
  return (
    <div class="paged-footer">
      <ErrorBanner error={state.error} onRetry={state.more} />
      {state.loading && (
        <p class="muted" role="status">
          Loading…
        </p>
      )}
      {!state.loading && state.error === null && state.done && state.items.length === 0 && (
        <p class="muted">{props.empty}</p>
      )}
      {!state.done && !state.loading && state.error === null && (
        <button type="button" class="secondary" onClick={state.more}>
          Load more
        </button>
      )}
      <div ref={sentinel} aria-hidden="true" />
    </div>
  );
}

import { useEffect, useState } from "preact/hooks";

export interface Loaded<T> {
  /** What the API answered, null until then (and again while `deps` change to something else). */
  value: T | null;
  /** Changes it in place (a follow, a like) without reading it again. */
  setValue: (update: T | null | ((old: T | null) => T | null)) => void;
  /** Why the last read failed, null while it is on its way or once it came. */
  error: unknown;
  /** Reads it again ("Try again"), keeping the value meanwhile. */
  reload: () => void;
}

/**
 * One thing read from the API when the component shows, and again when `deps` change; a read that a newer one
 * replaced (or that the component outlived) is aborted and says nothing. Lists read page by page use `usePaged`.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  // Something else to show: not the last thing's value while it loads.
  useEffect(() => setValue(null), deps);
  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    load(abort.signal).then(
      (answer) => {
        if (!abort.signal.aborted) setValue(answer);
      },
      (err: unknown) => {
        if (!abort.signal.aborted) setError(err);
      },
    );
    return () => abort.abort();
  }, [...deps, attempt]);

  return { value, setValue, error, reload: () => setAttempt((n) => n + 1) };
}

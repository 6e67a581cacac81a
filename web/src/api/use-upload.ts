import { useEffect, useRef, useState } from "preact/hooks";
import type { MediaView } from "./types";
import { uploadFile, type UploadProgress } from "./uploads";

export interface SingleUpload {
  /** How far the file is, while it uploads; null before, after, and while `then` runs. */
  progress: UploadProgress | null;
  /** From the pick until `then` has finished (or failed). */
  busy: boolean;
  /** Why the last upload (or its `then`) failed; null once another starts. */
  error: unknown;
  /**
   * Uploads `file` (resumably), then hands its media to `then` (a story, a message, a profile photo), with the
   * same abort signal. Starting another stops this one. Resolves true once `then` has finished, false if the
   * upload failed or was stopped: it never rejects.
   */
  start: (file: File, then: (media: MediaView, signal: AbortSignal) => Promise<void>) => Promise<boolean>;
}

/** One file at a time, uploaded with its progress, stopped when the component goes away. */
export function useSingleUpload(): SingleUpload {
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const current = useRef<AbortController | null>(null);
  useEffect(() => () => current.current?.abort(), []);

  const start: SingleUpload["start"] = async (file, then) => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    // An upload replaced by a newer one says nothing more: the newer one owns the state.
    const mine = () => current.current === controller;
    setError(null);
    setBusy(true);
    setProgress({ sent: 0, size: file.size, phase: "sending" });
    try {
      const media = await uploadFile(
        file,
        (p) => {
          if (mine()) setProgress(p);
        },
        controller.signal,
      );
      if (mine()) setProgress(null);
      await then(media, controller.signal);
      return true;
    } catch (err) {
      if (mine() && !controller.signal.aborted) setError(err);
      return false;
    } finally {
      if (mine()) {
        setBusy(false);
        setProgress(null);
      }
    }
  };

  return { progress, busy, error, start };
}

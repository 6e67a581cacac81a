import { api, ApiError } from "./client";
import { session } from "./session";
import type { MediaView, UploadSession, UploadState } from "./types";

/** How many times a part is tried again after the network dropped it, with a growing pause between. */
const RETRIES = 8;
const RESUME_KEY = "mosaic.uploads";

export interface UploadProgress {
  /** Bytes the server holds, 0…size. */
  sent: number;
  size: number;
  /** "retrying" while the connection is down and the upload waits to resume. */
  phase: "sending" | "retrying" | "finishing";
}

/**
 * Uploads a file with the resumable API (`POST /api/uploads`, a `PUT` per part, `POST …/complete`): parts the
 * server already has are never sent again, a dropped connection is retried where it stopped, and an upload of the
 * same file started before a reload is resumed rather than begun anew. Answers the media (maybe still processing).
 */
export async function uploadFile(
  file: File,
  onProgress: (progress: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<MediaView> {
  const contentType = file.type || "application/octet-stream";
  const key = resumeKeyOf(file);
  let upload: UploadSession | undefined = stored()[key];
  let received = new Set<number>();
  if (upload) {
    const state = await api<UploadState>("GET", `/uploads/${upload.id}`, { signal }).catch(() => undefined);
    if (state && !state.complete) received = new Set(state.receivedParts);
    else upload = undefined;
  }
  if (!upload) {
    upload = await api<UploadSession>("POST", "/uploads", {
      body: { filename: file.name || "upload", size: file.size, contentType },
      signal,
    });
    remember(key, upload);
  }
  const { id, partSize, partCount } = upload;
  const sizeOf = (n: number) => Math.min(partSize, file.size - n * partSize);
  let sent = [...received].reduce((sum, n) => sum + sizeOf(n), 0);
  onProgress({ sent, size: file.size, phase: "sending" });

  for (let n = 0; n < partCount; n++) {
    if (received.has(n)) continue;
    const part = file.slice(n * partSize, n * partSize + sizeOf(n));
    for (let attempt = 0; ; attempt++) {
      try {
        await putPart(
          id,
          n,
          part,
          (loaded) => onProgress({ sent: sent + loaded, size: file.size, phase: "sending" }),
          signal,
        );
        break;
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 0 || attempt >= RETRIES) throw err;
        onProgress({ sent, size: file.size, phase: "retrying" });
        await pause(Math.min(500 * 2 ** attempt, 15_000), signal);
        // What reached the server before the drop counts: ask rather than guess.
        const state = await api<UploadState>("GET", `/uploads/${id}`, { signal }).catch(() => undefined);
        if (state?.receivedParts.includes(n)) break;
      }
    }
    sent += sizeOf(n);
    onProgress({ sent, size: file.size, phase: "sending" });
  }
  onProgress({ sent: file.size, size: file.size, phase: "finishing" });
  const media = await api<MediaView>("POST", `/uploads/${id}/complete`, { signal });
  forget(key);
  return media;
}

/** One part by XMLHttpRequest: fetch cannot report how much of a body it has sent. */
function putPart(
  id: string,
  n: number,
  part: Blob,
  onLoaded: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/api/uploads/${encodeURIComponent(id)}/parts/${n}`);
    const token = session.value?.token;
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (event) => onLoaded(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let code = `HTTP_${xhr.status}`;
      let message = `The upload failed (${xhr.status}).`;
      try {
        const envelope = (JSON.parse(xhr.responseText) as { error?: { code?: string; message?: string } })
          .error;
        code = envelope?.code ?? code;
        message = envelope?.message ?? message;
      } catch {
        // Not the envelope: keep the status.
      }
      reject(new ApiError(xhr.status, code, message));
    };
    xhr.onerror = () => reject(new ApiError(0, "NETWORK", "The connection dropped during the upload."));
    xhr.ontimeout = xhr.onerror;
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
    xhr.send(part);
  });
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new DOMException("aborted", "AbortError"));
      },
      { once: true },
    );
  });
}

/** The same file (name, size, last change) by the same person: what an upload is resumed by after a reload. */
function resumeKeyOf(file: File): string {
  return `${session.value?.me.id ?? ""}:${file.name}:${file.size}:${file.lastModified}`;
}

function stored(): Record<string, UploadSession> {
  try {
    return JSON.parse(localStorage.getItem(RESUME_KEY) ?? "{}") as Record<string, UploadSession>;
  } catch {
    return {};
  }
}

function remember(key: string, upload: UploadSession): void {
  try {
    const all = stored();
    all[key] = upload;
    // A handful at most: uploads left unfinished are abandoned by the server after a while anyway.
    const keys = Object.keys(all);
    for (const old of keys.slice(0, Math.max(0, keys.length - 20))) delete all[old];
    localStorage.setItem(RESUME_KEY, JSON.stringify(all));
  } catch {
    // No storage: resuming within this page still works.
  }
}

function forget(key: string): void {
  try {
    const all = stored();
    delete all[key];
    localStorage.setItem(RESUME_KEY, JSON.stringify(all));
  } catch {
    // See remember.
  }
}

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/client";
import type { MediaView, PostView } from "../api/types";
import { uploadFile, type UploadProgress } from "../api/uploads";
import { ErrorBanner } from "../components/error-banner";
import { Link, navigate } from "../router";
import { MAX_CAPTION, plural } from "../text";
import "../styles/compose.css";

const MAX_MEDIA = 10;
/** As the API bounds it (Mastodon's length). */
const MAX_ALT_TEXT = 1500;

/** Whom a post may be shared with, as the composer offers it. */
const AUDIENCES: readonly [PostView["audience"], ComponentChildren][] = [
  ["everyone", "Everyone who sees your posts"],
  [
    "close_friends",
    <>
      Close friends only (<Link href="/close-friends">your list</Link>)
    </>,
  ],
];

interface PickedFile {
  key: number;
  file: File;
  /** An object URL for the preview, revoked when the pick goes away. */
  preview: string;
  progress: UploadProgress;
  media?: MediaView;
  error?: unknown;
  abort: AbortController;
  /** What it shows, for people who use a screen reader; sent as the media's alt text when sharing. */
  altText: string;
}

let nextKey = 1;

/**
 * A new post: 1–10 photos or videos, each uploaded as soon as it is picked (resumably, with its progress), a
 * caption, then "Share". Sharing waits for every upload; a failed one can be tried again or removed.
 */
export function ComposeScreen() {
  const [picks, setPicks] = useState<PickedFile[]>([]);
  const [caption, setCaption] = useState("");
  const [audience, setAudience] = useState<PostView["audience"]>("everyone");
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [sharing, setSharing] = useState(false);
  const live = useRef<PickedFile[]>([]);
  live.current = picks;
  // Uploads of the same file (name, size, date) run one after the other: they would resume the same upload.
  const sameFile = useRef(new Map<string, Promise<unknown>>());

  // Leaving the screen: stop what is still uploading and free the previews.
  useEffect(
    () => () => {
      for (const pick of live.current) {
        pick.abort.abort();
        URL.revokeObjectURL(pick.preview);
      }
    },
    [],
  );

  const patch = (key: number, change: Partial<PickedFile>) =>
    setPicks((old) => old.map((p) => (p.key === key ? { ...p, ...change } : p)));

  const start = (pick: PickedFile) => {
    const id = `${pick.file.name}:${pick.file.size}:${pick.file.lastModified}`;
    const before = sameFile.current.get(id) ?? Promise.resolve();
    const run = before
      .catch(() => undefined)
      .then(() => {
        if (pick.abort.signal.aborted) return;
        return uploadFile(pick.file, (progress) => patch(pick.key, { progress }), pick.abort.signal).then(
          (media) => patch(pick.key, { media }),
          (err: unknown) => {
            if (!pick.abort.signal.aborted) patch(pick.key, { error: err });
          },
        );
      });
    sameFile.current.set(id, run);
  };

  const add = (files: FileList | null) => {
    if (!files) return;
    const room = MAX_MEDIA - live.current.length;
    const chosen = [...files].slice(0, Math.max(0, room));
    const left = files.length - chosen.length;
    setNotice(
      left > 0
        ? `A post holds at most ${MAX_MEDIA} photos or videos: ${left} ${left === 1 ? "was" : "were"} left out.`
        : null,
    );
    const added = chosen.map((file): PickedFile => ({
      key: nextKey++,
      file,
      preview: URL.createObjectURL(file),
      progress: { sent: 0, size: file.size, phase: "sending" },
      abort: new AbortController(),
      altText: "",
    }));
    setPicks((old) => [...old, ...added]);
    added.forEach(start);
  };

  const remove = (pick: PickedFile) => {
    pick.abort.abort();
    URL.revokeObjectURL(pick.preview);
    setPicks((old) => old.filter((p) => p.key !== pick.key));
    setNotice(null);
  };

  const retry = (pick: PickedFile) => {
    const again: PickedFile = {
      ...pick,
      error: undefined,
      progress: { sent: 0, size: pick.file.size, phase: "sending" },
      abort: new AbortController(),
    };
    setPicks((old) => old.map((p) => (p.key === pick.key ? again : p)));
    start(again);
  };

  const ready = picks.length > 0 && picks.every((p) => p.media !== undefined);
  const uploading = picks.filter((p) => p.media === undefined && p.error === undefined).length;

  const share = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!ready || sharing) return;
    setSharing(true);
    setError(null);
    try {
      const mediaIds = picks.flatMap((p) => (p.media ? [p.media.id] : []));
      // Each description first, so the post is never seen without them.
      for (const pick of picks) {
        const altText = pick.altText.trim();
        if (pick.media && altText) await api("PATCH", `/media/${pick.media.id}`, { body: { altText } });
      }
      const text = caption.trim();
      const post = await api<PostView>("POST", "/posts", {
        body: { ...(text && { caption: text }), mediaIds, audience },
      });
      navigate(`/p/${post.id}`);
    } catch (err) {
      setError(err);
      setSharing(false);
    }
  };

  return (
    <section class="compose">
      <h1>New post</h1>
      <form class="stack card compose-form" onSubmit={(e) => void share(e)}>
        <div class="compose-pick">
          <label class="compose-file">
            Photos or videos
            <input
              type="file"
              multiple
              accept="image/*,video/*"
              disabled={picks.length >= MAX_MEDIA}
              aria-describedby="compose-file-hint"
              onChange={(e) => {
                add(e.currentTarget.files);
                // Picking the same file again must fire a change too.
                e.currentTarget.value = "";
              }}
            />
          </label>
          <p id="compose-file-hint" class="muted hint">
            {picks.length === 0
              ? `Choose 1 to ${MAX_MEDIA} photos or videos. They upload while you write the caption.`
              : `${picks.length} of ${MAX_MEDIA} chosen.`}
          </p>
          {notice && (
            <p class="error-banner" role="alert">
              {notice}
            </p>
          )}
        </div>

        {picks.length > 0 && (
          <ul class="compose-previews">
            {picks.map((pick, i) => (
              <PickedFileItem
                key={pick.key}
                pick={pick}
                index={i}
                onRemove={() => remove(pick)}
                onRetry={() => retry(pick)}
                onAltText={(altText) => patch(pick.key, { altText })}
              />
            ))}
          </ul>
        )}

        <label>
          Caption
          <textarea
            rows={4}
            maxLength={MAX_CAPTION}
            value={caption}
            onInput={(e) => setCaption(e.currentTarget.value)}
            aria-describedby="compose-caption-hint compose-caption-count"
          />
        </label>
        <div class="compose-caption-meta">
          <p id="compose-caption-hint" class="muted hint">
            #tags and @mentions work: they become links, and people you mention are told.
          </p>
          <p id="compose-caption-count" class={`hint ${caption.length >= MAX_CAPTION ? "over" : "muted"}`}>
            {caption.length} / {MAX_CAPTION}
          </p>
        </div>

        <fieldset class="compose-audience">
          <legend>Share with</legend>
          {AUDIENCES.map(([value, label]) => (
            <label key={value}>
              <input
                type="radio"
                name="audience"
                value={value}
                checked={audience === value}
                onChange={() => setAudience(value)}
              />
              {label}
            </label>
          ))}
        </fieldset>

        <ErrorBanner error={error} />
        <div class="row compose-submit">
          <button type="submit" disabled={!ready || sharing}>
            Share
          </button>
          <span class="muted" role="status">
            {sharing
              ? "Sharing…"
              : uploading > 0
                ? `Waiting for ${plural(uploading, "upload")} to finish…`
                : picks.some((p) => p.error !== undefined)
                  ? "Retry or remove the failed upload to share."
                  : ""}
          </span>
        </div>
      </form>
    </section>
  );
}

function PickedFileItem(props: {
  pick: PickedFile;
  index: number;
  onRemove: () => void;
  onRetry: () => void;
  onAltText: (altText: string) => void;
}) {
  const { pick } = props;
  const name = pick.file.name || `file ${props.index + 1}`;
  const video = pick.file.type.startsWith("video/");
  const done = pick.media !== undefined;
  const failed = pick.error !== undefined;
  const { sent, size, phase } = pick.progress;
  const percent = size > 0 ? Math.round((sent / size) * 100) : 100;
  return (
    <li class={`compose-preview ${failed ? "failed" : ""}`}>
      <div class="compose-thumb">
        {video ? (
          <video src={pick.preview} muted playsInline preload="metadata" aria-label={`Preview of ${name}`} />
        ) : (
          <img src={pick.preview} alt={`Preview of ${name}`} />
        )}
      </div>
      <div class="compose-preview-info">
        <span class="compose-name">{name}</span>
        <progress max={size || 1} value={done ? size || 1 : sent} aria-label={`Uploading ${name}`} />
        <span class="hint muted">
          {failed
            ? "Upload failed"
            : done
              ? pick.media?.status === "processing"
                ? "Uploaded, processing…"
                : "Uploaded"
              : phase === "retrying"
                ? "Connection lost, retrying…"
                : phase === "finishing"
                  ? "Finishing…"
                  : `${percent}%`}
        </span>
        {failed && <ErrorBanner error={pick.error} />}
        <label class="compose-alt">
          Alt text<span class="visually-hidden"> for {name}</span>
          <textarea
            rows={2}
            maxLength={MAX_ALT_TEXT}
            value={pick.altText}
            placeholder="Describe it for people who use a screen reader"
            onInput={(e) => props.onAltText(e.currentTarget.value)}
          />
        </label>
        <div class="row compose-preview-buttons">
          {failed && (
            <button type="button" class="secondary" onClick={props.onRetry}>
              Retry<span class="visually-hidden"> {name}</span>
            </button>
          )}
          <button type="button" class="link-button" onClick={props.onRemove}>
            Remove<span class="visually-hidden"> {name}</span>
          </button>
        </div>
      </div>
    </li>
  );
}

import { useEffect, useRef, useState } from "preact/hooks";
import type { JSX } from "preact";
import { api } from "../../api/client";
import type { MessageView } from "../../api/types";
import { uploadFile, type UploadProgress } from "../../api/uploads";
import { ErrorBanner } from "../../components/error-banner";

const MAX_TEXT = 2000;

/** Writing a message (Enter sends, Shift+Enter is a new line) or sending a photo. */
export function Composer(props: { conversationId: string; onSent: (m: MessageView) => void }) {
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState<unknown>(null);
  const form = useRef<HTMLFormElement>(null);
  const aborter = useRef<AbortController | null>(null);
  useEffect(() => () => aborter.current?.abort(), []);

  const send = async (body: { text?: string; mediaId?: string }, signal?: AbortSignal) => {
    const message = await api<MessageView>("POST", `/conversations/${props.conversationId}/messages`, {
      body,
      signal,
    });
    props.onSent(message);
  };

  const submit = async (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    const trimmed = text.trim();
    if (trimmed === "" || sending) return;
    setSending(true);
    setError(null);
    try {
      await send({ text: trimmed });
      setText("");
    } catch (err) {
      setError(err);
    } finally {
      setSending(false);
    }
  };

  const onKeyDown = (event: JSX.TargetedKeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    form.current?.requestSubmit();
  };

  const onPhoto = async (event: JSX.TargetedEvent<HTMLInputElement>) => {
    const file = event.currentTarget.files?.[0];
    event.currentTarget.value = "";
    if (!file) return;
    aborter.current?.abort();
    const controller = new AbortController();
    aborter.current = controller;
    setError(null);
    setProgress({ sent: 0, size: file.size, phase: "sending" });
    try {
      const media = await uploadFile(file, setProgress, controller.signal);
      await send({ mediaId: media.id }, controller.signal);
    } catch (err) {
      if (!(err instanceof DOMException && err.name === "AbortError")) setError(err);
    } finally {
      if (aborter.current === controller) setProgress(null);
    }
  };

  return (
    <div class="dm-composer-wrap">
      {progress && (
        <div class="dm-upload">
          <progress aria-label="Uploading photo" max={progress.size || 1} value={progress.sent} />
          <span class="muted" role="status">
            {progress.phase === "retrying" ? "Connection lost, retrying…" : "Sending photo…"}
          </span>
        </div>
      )}
      <ErrorBanner error={error} />
      <form ref={form} class="dm-composer" onSubmit={(e) => void submit(e)}>
        <label class="live-vh" for="dm-text">
          Message
        </label>
        <textarea
          id="dm-text"
          rows={1}
          maxLength={MAX_TEXT}
          placeholder="Message…"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={onKeyDown}
        />
        <label class="dm-photo" title="Send a photo">
          <CameraIcon />
          <span class="live-vh">Send a photo</span>
          <input
            class="live-vh"
            type="file"
            accept="image/*,video/*"
            disabled={progress !== null}
            onChange={(e) => void onPhoto(e)}
          />
        </label>
        <button type="submit" disabled={sending}>
          Send
        </button>
      </form>
    </div>
  );
}

function CameraIcon() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M9 3 7.2 5H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9zm3 5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z"
      />
    </svg>
  );
}

import { useRef, useState } from "preact/hooks";
import type { JSX } from "preact";
import { api } from "../../api/client";
import type { MessageView } from "../../api/types";
import { useSingleUpload } from "../../api/use-upload";
import { ErrorBanner } from "../../components/error-banner";
import { CameraIcon } from "../../components/icons";

const MAX_TEXT = 2000;

/** Writing a message (Enter sends, Shift+Enter is a new line) or sending a photo. */
export function Composer(props: { conversationId: string; onSent: (m: MessageView) => void }) {
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const photo = useSingleUpload();
  const form = useRef<HTMLFormElement>(null);

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

  const onPhoto = (event: JSX.TargetedEvent<HTMLInputElement>) => {
    const file = event.currentTarget.files?.[0];
    event.currentTarget.value = "";
    if (!file) return;
    setError(null);
    void photo.start(file, (media, signal) => send({ mediaId: media.id }, signal));
  };

  return (
    <div class="dm-composer-wrap">
      {photo.busy && (
        <div class="dm-upload">
          {photo.progress && (
            <progress
              aria-label="Uploading photo"
              max={photo.progress.size || 1}
              value={photo.progress.sent}
            />
          )}
          <span class="muted" role="status">
            {photo.progress?.phase === "retrying" ? "Connection lost, retrying…" : "Sending photo…"}
          </span>
        </div>
      )}
      <ErrorBanner error={error ?? photo.error} />
      <form ref={form} class="dm-composer" onSubmit={(e) => void submit(e)}>
        <label class="visually-hidden" for="dm-text">
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
          <span class="visually-hidden">Send a photo</span>
          <input
            class="visually-hidden"
            type="file"
            accept="image/*,video/*"
            disabled={photo.busy}
            onChange={onPhoto}
          />
        </label>
        <button type="submit" disabled={sending}>
          Send
        </button>
      </form>
    </div>
  );
}

import { useState } from "preact/hooks";
import { api } from "../api/client";
import { parseUsernames, plural } from "../text";
import { ErrorBanner } from "./error-banner";
import { useModalDialog } from "./use-modal-dialog";

/** "Send to (usernames)": the post goes to each as a direct message. */
export function ShareDialog(props: { postId: string; onClose: () => void }) {
  const dialog = useModalDialog();
  const [names, setNames] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);

  const send = async (event: SubmitEvent) => {
    event.preventDefault();
    const usernames = parseUsernames(names);
    setResult(null);
    setError(null);
    setProblem(usernames.length === 0 ? "Type at least one username." : null);
    if (usernames.length === 0) return;
    setBusy(true);
    try {
      const answer = await api<{ sent: number }>("POST", `/posts/${props.postId}/share`, {
        body: { usernames },
      });
      const sent = answer.sent;
      setResult(
        sent === usernames.length
          ? `Sent to ${usernames.join(", ")}.`
          : `Sent to ${sent} of ${plural(usernames.length, "person", "people")}.`,
      );
      setNames("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="share-dialog" aria-labelledby="share-title" onClose={props.onClose}>
      <form class="stack" onSubmit={(e) => void send(e)}>
        <h2 id="share-title">Share post</h2>
        <label>
          Send to (usernames)
          <input
            value={names}
            onInput={(e) => setNames(e.currentTarget.value)}
            autoComplete="off"
            autoCapitalize="none"
            spellcheck={false}
            aria-describedby="share-hint"
            required
          />
        </label>
        <p id="share-hint" class="muted hint">
          Separate usernames with commas or spaces. Each gets the post as a message.
        </p>
        {problem && (
          <p class="error-banner" role="alert">
            {problem}
          </p>
        )}
        <ErrorBanner error={error} />
        {result && (
          <p class="share-result" role="status">
            {result}
          </p>
        )}
        <div class="row dialog-buttons">
          <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
            Close
          </button>
          <button type="submit" disabled={busy}>
            Send
          </button>
        </div>
      </form>
    </dialog>
  );
}

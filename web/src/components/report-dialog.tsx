import { useState } from "preact/hooks";
import { api, ApiError } from "../api/client";
import type { ReportReason, ReportTarget } from "../api/types";
import { ErrorBanner } from "./error-banner";
import { useModalDialog } from "./use-modal-dialog";

/** The reasons one may give, in the order Instagram lists them; the compiler keeps the list complete. */
export const REASON_LABELS: Record<ReportReason, string> = {
  spam: "It's spam",
  nudity: "Nudity or sexual activity",
  hate: "Hate speech or symbols",
  violence: "Violence or dangerous organisations",
  harassment: "Bullying or harassment",
  self_harm: "Suicide or self-injury",
  scam: "Scam or fraud",
  false_information: "False information",
  intellectual_property: "Intellectual property violation",
  other: "Something else",
};

const NOUN: Record<ReportTarget["type"], string> = {
  post: "post",
  comment: "comment",
  story: "story",
  message: "message",
  account: "account",
};

/** Report something to the moderators: a reason from the list and an optional note. Nobody else is told. */
export function ReportDialog(props: { target: ReportTarget; onClose: () => void }) {
  const dialog = useModalDialog();
  const [reason, setReason] = useState<ReportReason | "">("");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const noun = NOUN[props.target.type];

  const send = async (event: SubmitEvent) => {
    event.preventDefault();
    if (reason === "") return;
    setBusy(true);
    setError(null);
    try {
      await api("POST", "/reports", {
        body: { ...props.target, reason, ...(note.trim() !== "" && { note: note.trim() }) },
      });
      setDone(
        "Thanks for telling us. A moderator will look at it, and you will be notified of what they decide.",
      );
    } catch (err) {
      if (err instanceof ApiError && err.code === "ALREADY_REPORTED") {
        setDone(`You reported this ${noun} already. A moderator will look at it.`);
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      class="share-dialog report-dialog"
      aria-labelledby="report-title"
      onClose={props.onClose}
    >
      <form class="stack" onSubmit={(e) => void send(e)}>
        <h2 id="report-title">Report {noun}</h2>
        {done ? (
          <p class="share-result" role="status">
            {done}
          </p>
        ) : (
          <>
            <fieldset class="stack report-reasons">
              <legend>Why are you reporting this {noun}?</legend>
              {(Object.keys(REASON_LABELS) as ReportReason[]).map((key) => (
                <label key={key} class="row">
                  <input
                    type="radio"
                    name="reason"
                    value={key}
                    checked={reason === key}
                    onChange={() => setReason(key)}
                    required
                  />
                  {REASON_LABELS[key]}
                </label>
              ))}
            </fieldset>
            <label>
              Anything else the moderators should know? <span class="muted">(optional)</span>
              <textarea
                value={note}
                maxLength={1000}
                rows={3}
                onInput={(e) => setNote(e.currentTarget.value)}
              />
            </label>
            <ErrorBanner error={error} />
          </>
        )}
        <div class="row dialog-buttons">
          <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
            {done ? "Close" : "Cancel"}
          </button>
          {!done && (
            <button type="submit" disabled={busy || reason === ""}>
              Report
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}

/** A quiet "Report" button that opens the dialog for `target`. */
export function ReportButton(props: { target: ReportTarget; label?: string; class?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class={props.class ?? "link-button report-button"} onClick={() => setOpen(true)}>
        {props.label ?? "Report"}
      </button>
      {open && <ReportDialog target={props.target} onClose={() => setOpen(false)} />}
    </>
  );
}

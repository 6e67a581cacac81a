import { messageOf } from "../api/client";

/** An API error as the person sees it: the server's message, in a live region so screen readers hear it. */
export function ErrorBanner(props: { error: unknown; onRetry?: () => void }) {
  if (props.error === null || props.error === undefined) return null;
  return (
    <div class="error-banner" role="alert">
      <span>{messageOf(props.error)}</span>
      {props.onRetry && (
        <button type="button" class="link-button" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

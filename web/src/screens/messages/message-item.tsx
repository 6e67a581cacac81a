import type { MessageView } from "../../api/types";
import { MediaView } from "../../components/media-view";
import { SharedPost } from "./shared-post";
import { ReportButton } from "../../components/report-dialog";
import { TimeAgo } from "../../components/time";

/** Messages closer than this from the same sender read as one run: one name, one time. */
const RUN_GAP_MS = 10 * 60_000;

export function sameRun(a: MessageView | undefined, b: MessageView | undefined): boolean {
  if (!a || !b || a.sender.id !== b.sender.id) return false;
  return Math.abs(Date.parse(b.createdAt) - Date.parse(a.createdAt)) < RUN_GAP_MS;
}

/** One message: who sent it (shown at the start of a run), what it says or shows, and when. */
export function MessageItem(props: {
  message: MessageView;
  mine: boolean;
  startsRun: boolean;
  endsRun: boolean;
}) {
  const { message: m, mine } = props;
  // An erased account keeps its messages under no name (lib/accounts/user-view.ts, erasedAccountView).
  const erased = m.sender.username === "";
  const sender = erased ? m.sender.displayName : m.sender.username;
  return (
    <li class={`dm-msg ${mine ? "dm-mine" : "dm-theirs"} ${props.startsRun ? "dm-run-start" : ""}`}>
      <span class={`dm-sender ${props.startsRun && !mine ? "" : "visually-hidden"}`}>
        {mine ? "You" : sender}
      </span>
      <span class="visually-hidden">: </span>
      <div class="dm-bubble">
        {m.media && (
          <div class="dm-media">
            <MediaView
              media={m.media}
              alt={`${m.media.type === "video" ? "Video" : "Photo"} from ${sender}`}
              sizes="(max-width: 640px) 70vw, 320px"
            />
          </div>
        )}
        {m.removed === true && (
          <p class="dm-text dm-removed muted">{erased ? "No longer available" : "Removed by a moderator"}</p>
        )}
        {m.postId !== undefined && <SharedPost postId={m.postId} />}
        {m.text && <p class="dm-text">{m.text}</p>}
      </div>
      {!mine && m.removed !== true && !erased && (
        <ReportButton
          target={{ type: "message", id: m.id, conversationId: m.conversationId }}
          class="text-button dm-report"
          label="Report"
        />
      )}
      <TimeAgo iso={m.createdAt} class={`dm-time ${props.endsRun ? "" : "visually-hidden"}`} />
    </li>
  );
}

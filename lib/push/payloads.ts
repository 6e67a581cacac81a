import type { MessageView, NotificationView } from "../contracts/objects";
import type { PushKind, PushPayload } from "./params";

/** Text a push shows at most: the payload must fit a push service's 4 KB after encryption. */
const MAX_BODY_CHARS = 240;

/** Which kind of push a notification is, or undefined for those never pushed (a report's outcome). */
export function kindOf(type: NotificationView["type"]): PushKind | undefined {
  switch (type) {
    case "like":
      return "likes";
    case "comment":
      return "comments";
    case "follow":
    case "follow_request":
    case "follow_accepted":
      return "follows";
    case "mention":
      return "mentions";
    case "report_resolved":
      return undefined;
  }
}

const SAYS: Record<Exclude<NotificationView["type"], "report_resolved">, string> = {
  like: "liked your post",
  comment: "commented on your post",
  follow: "started following you",
  follow_request: "requested to follow you",
  follow_accepted: "accepted your follow request",
  mention: "mentioned you",
};

export function notificationPayload(view: NotificationView): PushPayload | undefined {
  const kind = kindOf(view.type);
  if (kind === undefined || view.type === "report_resolved") return undefined;
  const who = view.actor.username;
  const url =
    view.type === "follow_request"
      ? "/requests"
      : view.postId !== undefined
        ? `/p/${view.postId}`
        : `/u/${encodeURIComponent(who)}`;
  return { kind, title: "Mosaic", body: `${who} ${SAYS[view.type]}`, url, tag: `notification:${view.id}` };
}

export function messagePayload(view: MessageView): PushPayload {
  const body =
    view.text !== undefined && view.text !== ""
      ? clip(view.text)
      : view.media !== undefined
        ? `sent a ${view.media.type === "video" ? "video" : "photo"}`
        : view.postId !== undefined
          ? "shared a post"
          : "sent a message";
  return {
    kind: "messages",
    title: view.sender.username,
    body,
    url: `/messages/${view.conversationId}`,
    tag: `conversation:${view.conversationId}`,
  };
}

function clip(text: string): string {
  const chars = [...text];
  return chars.length <= MAX_BODY_CHARS ? text : `${chars.slice(0, MAX_BODY_CHARS - 1).join("")}…`;
}

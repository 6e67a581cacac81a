import type { ApiAction } from "./routes";

type Fields = Record<string, unknown>;

/**
 * Where a created resource can be read, by the action that created it: the `Location` of its 201. Resources
 * with no address of their own (a comment, a story, a message) point at the list they were added to.
 */
const LOCATIONS: Partial<Record<ApiAction, (created: Fields) => string | undefined>> = {
  "users.signup": (d) => at("/api/users/", fieldOf(d.user, "username")),
  "posts.create": (d) => at("/api/posts/", d.id),
  "interactions.comment": (d) => suffixed(at("/api/posts/", d.postId), "/comments"),
  "interactions.share": (d) => suffixed(at("/api/conversations/", d.conversationId), "/messages"),
  "stories.create": (d) => suffixed(at("/api/users/", fieldOf(d.author, "username")), "/stories"),
  "inbox.openConversation": (d) => suffixed(at("/api/conversations/", d.id), "/messages"),
  "inbox.send": (d) => suffixed(at("/api/conversations/", d.conversationId), "/messages"),
  "moderation.report": () => "/api/me/reports",
  "inbox.subscribePush": () => "/api/push/subscriptions",
  "media.upload": (d) => at("/api/media/", d.id),
  "media.finalize": (d) => at("/api/media/", d.id),
  "media.completeUpload": (d) => at("/api/media/", d.id),
  "media.startUpload": (d) => at("/api/uploads/", d.id),
  // The media the presigned PUT fills, finalized at POST /api/media/{id}/finalize.
  "media.presign": (d) => at("/api/media/", d.mediaId),
};

/** The `Location` of a 201 answered by `action` with `created`; undefined when it names nothing readable. */
export function locationOf(action: string | undefined, created: unknown): string | undefined {
  if (action === undefined || typeof created !== "object" || created === null) return undefined;
  const locate = LOCATIONS[action as ApiAction];
  return locate?.(created as Fields);
}

function at(prefix: string, id: unknown): string | undefined {
  return typeof id === "string" && id !== "" ? `${prefix}${encodeURIComponent(id)}` : undefined;
}

function suffixed(path: string | undefined, suffix: string): string | undefined {
  return path === undefined ? undefined : `${path}${suffix}`;
}

function fieldOf(value: unknown, field: string): unknown {
  return typeof value === "object" && value !== null ? (value as Fields)[field] : undefined;
}

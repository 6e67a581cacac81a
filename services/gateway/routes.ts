import type { ActionName } from "../../lib/contracts";
import type { QuotaName } from "../../lib/rate-limit/rate-limiter";

/**
 * The REST surface of api.md, one line per route: which action serves it, who may call it, what it answers on
 * success, and which rate limit guards it. The gateway builds its aliases from this table only.
 */
export interface ApiRoute {
  action: ActionName;
  /** `none`: anyone; `required`: a valid, unrevoked bearer token. */
  auth: "none" | "required";
  /** HTTP status of a success (200 unless said). */
  status?: 200 | 201 | 202 | 204;
  /** A per-IP limit for routes used before signing in; signed-in writes get the per-user write limit. */
  ipLimit?: "signup" | "login" | "recovery";
  /** How the body arrives: JSON (default), a multipart form with a file, or raw bytes streamed to the action. */
  body?: "json" | "multipart" | "stream";
  /** The per-user hourly quota each call of this route spends (in the spirit of Pixelfed's). */
  quota?: QuotaName;
  /** Creates something: a retry with the same `Idempotency-Key` replays the first answer (idempotency.ts). */
  idempotent?: true;
  /** Failures of its own beyond every route's: 403 (seen but not allowed), 409 (taken). */
  refuses?: readonly (403 | 409)[];
}

export const apiRoutes = {
  "POST /auth/signup": {
    action: "users.signup",
    auth: "none",
    status: 201,
    ipLimit: "signup",
    refuses: [409],
  },
  "POST /auth/login": { action: "users.login", auth: "none", ipLimit: "login" },
  "POST /auth/logout": { action: "users.logout", auth: "required", status: 204 },
  "POST /auth/password-reset": {
    action: "users.requestPasswordReset",
    auth: "none",
    status: 202,
    ipLimit: "recovery",
  },
  "POST /auth/password-reset/confirm": {
    action: "users.confirmPasswordReset",
    auth: "none",
    status: 204,
    ipLimit: "recovery",
  },
  "POST /auth/email/verify": { action: "users.verifyEmail", auth: "none", status: 204, ipLimit: "recovery" },
  "POST /auth/email/verification": {
    action: "users.resendVerification",
    auth: "none",
    status: 202,
    ipLimit: "recovery",
  },
  "GET /me": { action: "users.me", auth: "required" },
  "PATCH /me": { action: "users.updateMe", auth: "required" },
  // The per-IP login limit: a stolen token must not become a way to guess the password.
  "DELETE /me": { action: "users.deleteMe", auth: "required", status: 202, ipLimit: "login" },
  "GET /me/sessions": { action: "users.sessions", auth: "required" },
  "DELETE /me/sessions": { action: "users.endOtherSessions", auth: "required", status: 204 },
  "DELETE /me/sessions/:id": { action: "users.endSession", auth: "required", status: 204 },
  // The per-IP login limit: a stolen token must not become a way to guess the password.
  "POST /me/password": { action: "users.changePassword", auth: "required", status: 204, ipLimit: "login" },
  // Before /users/:username, which would take "suggested" for a name.
  "GET /users/suggested": { action: "discovery.suggested", auth: "required" },
  "GET /users/:username": { action: "users.get", auth: "required" },
  "GET /users/:username/posts": { action: "posts.byUser", auth: "required", refuses: [403] },
  "GET /users/:username/followers": { action: "graph.followers", auth: "required", refuses: [403] },
  "GET /users/:username/following": { action: "graph.following", auth: "required", refuses: [403] },
  "POST /users/:username/follow": { action: "graph.follow", auth: "required", quota: "follows" },
  "DELETE /users/:username/follow": { action: "graph.unfollow", auth: "required" },
  "GET /follow-requests": { action: "graph.requests", auth: "required" },
  "POST /follow-requests/:username/approve": { action: "graph.approve", auth: "required" },
  "POST /follow-requests/:username/reject": { action: "graph.reject", auth: "required" },
  "POST /users/:username/block": { action: "graph.block", auth: "required" },
  "DELETE /users/:username/block": { action: "graph.unblock", auth: "required" },
  "POST /users/:username/mute": { action: "graph.mute", auth: "required", refuses: [409] },
  "DELETE /users/:username/mute": { action: "graph.unmute", auth: "required" },
  "GET /users/:username/mute": { action: "graph.muteState", auth: "required" },
  "GET /me/mutes": { action: "graph.mutes", auth: "required" },
  "GET /me/close-friends": { action: "graph.closeFriends", auth: "required" },
  "PUT /me/close-friends/:username": { action: "graph.addCloseFriend", auth: "required", refuses: [409] },
  "DELETE /me/close-friends/:username": { action: "graph.removeCloseFriend", auth: "required" },
  "POST /posts/views": { action: "interactions.recordViews", auth: "required" },
  "POST /posts": { action: "posts.create", auth: "required", status: 201, quota: "posts", idempotent: true },
  "GET /posts/:id": { action: "posts.get", auth: "required" },
  "PATCH /posts/:id": { action: "posts.edit", auth: "required", refuses: [403] },
  "DELETE /posts/:id": { action: "posts.delete", auth: "required", status: 204, refuses: [403] },
  "GET /feed": { action: "timeline.feed", auth: "required" },
  "GET /reels": { action: "timeline.reels", auth: "required" },
  "POST /posts/:id/like": { action: "interactions.like", auth: "required", quota: "likes" },
  "DELETE /posts/:id/like": { action: "interactions.unlike", auth: "required" },
  "GET /posts/:id/insights": { action: "interactions.insights", auth: "required", refuses: [403] },
  "GET /posts/:id/likes": { action: "interactions.likers", auth: "required" },
  "POST /posts/:id/comments": {
    action: "interactions.comment",
    auth: "required",
    status: 201,
    quota: "comments",
    idempotent: true,
  },
  "GET /posts/:id/comments": { action: "interactions.comments", auth: "required" },
  "DELETE /comments/:id": {
    action: "interactions.deleteComment",
    auth: "required",
    status: 204,
    refuses: [403],
  },
  "POST /posts/:id/save": { action: "interactions.save", auth: "required" },
  "DELETE /posts/:id/save": { action: "interactions.unsave", auth: "required" },
  "GET /me/saved": { action: "interactions.saved", auth: "required" },
  "GET /me/liked": { action: "interactions.liked", auth: "required" },
  "GET /me/comments": { action: "interactions.myComments", auth: "required" },
  // One archive at a time (409), and a few an hour: each one reads the whole account.
  "POST /me/export": {
    action: "export.start",
    auth: "required",
    status: 202,
    quota: "exports",
    refuses: [409],
  },
  "GET /me/export": { action: "export.status", auth: "required" },
  "POST /posts/:id/share": {
    action: "interactions.share",
    auth: "required",
    status: 201,
    quota: "messages",
    idempotent: true,
  },
  "POST /stories": {
    action: "stories.create",
    auth: "required",
    status: 201,
    quota: "stories",
    idempotent: true,
  },
  "GET /stories/feed": { action: "stories.feed", auth: "required" },
  "GET /users/:username/stories": { action: "stories.byUser", auth: "required" },
  "POST /stories/:id/view": { action: "stories.view", auth: "required", status: 204 },
  "GET /stories/:id/viewers": { action: "stories.viewers", auth: "required", refuses: [403] },
  "DELETE /stories/:id": { action: "stories.delete", auth: "required", status: 204, refuses: [403] },
  "GET /notifications": { action: "inbox.notifications", auth: "required" },
  "GET /notifications/unread-count": { action: "inbox.unreadCount", auth: "required" },
  "POST /notifications/read": { action: "inbox.markRead", auth: "required", status: 204 },
  "POST /conversations": {
    action: "inbox.openConversation",
    auth: "required",
    status: 201,
    idempotent: true,
  },
  "GET /conversations": { action: "inbox.conversations", auth: "required" },
  "GET /conversations/:id/messages": { action: "inbox.messages", auth: "required" },
  "POST /conversations/:id/messages": {
    action: "inbox.send",
    auth: "required",
    status: 201,
    quota: "messages",
    idempotent: true,
  },
  "POST /conversations/:id/read": { action: "inbox.markConversationRead", auth: "required", status: 204 },
  "POST /reports": {
    action: "moderation.report",
    auth: "required",
    status: 201,
    quota: "reports",
    idempotent: true,
    refuses: [409],
  },
  "GET /push/key": { action: "inbox.pushKey", auth: "required" },
  "GET /push/subscriptions": { action: "inbox.pushSubscriptions", auth: "required" },
  "POST /push/subscriptions": { action: "inbox.subscribePush", auth: "required", status: 201 },
  "DELETE /push/subscriptions": { action: "inbox.unsubscribePush", auth: "required", status: 204 },
  "GET /me/reports": { action: "moderation.mine", auth: "required" },
  "GET /search": { action: "search.query", auth: "required" },
  "GET /tags/trending": { action: "discovery.trending", auth: "required" },
  "GET /tags/:tag/posts": { action: "discovery.tagPosts", auth: "required" },
  "GET /explore": { action: "discovery.explore", auth: "required" },
  "POST /media": {
    action: "media.upload",
    auth: "required",
    status: 201,
    body: "multipart",
    idempotent: true,
  },
  "GET /media/:id": { action: "media.get", auth: "required" },
  "PATCH /media/:id": { action: "media.describe", auth: "required" },
  "POST /media/:id/finalize": { action: "media.finalize", auth: "required", status: 201, idempotent: true },
  "POST /uploads": { action: "media.startUpload", auth: "required", status: 201, idempotent: true },
  "POST /uploads/presign": { action: "media.presign", auth: "required", status: 201, idempotent: true },
  "GET /uploads/:id": { action: "media.uploadStatus", auth: "required" },
  "PUT /uploads/:id/parts/:n": { action: "media.putPart", auth: "required", body: "stream" },
  "POST /uploads/:id/complete": {
    action: "media.completeUpload",
    auth: "required",
    status: 201,
    idempotent: true,
  },
  // The admin API: every route answers 403 to an account without the admin role (lib/admin/authority.ts).
  "GET /admin/users/:user": { action: "admin.lookup", auth: "required", refuses: [403] },
  "POST /admin/users/:user/suspension": { action: "admin.suspend", auth: "required", refuses: [403] },
  "DELETE /admin/users/:user/suspension": { action: "admin.unsuspend", auth: "required", refuses: [403] },
  "DELETE /admin/users/:user/sessions": { action: "admin.revokeSessions", auth: "required", refuses: [403] },
  "POST /admin/users/:user/recount": { action: "admin.recountUser", auth: "required", refuses: [403] },
  "POST /admin/users/:user/timeline/rebuild": {
    action: "admin.rebuildTimeline",
    auth: "required",
    refuses: [403],
  },
  "POST /admin/activity/backfill": {
    action: "admin.backfillActivity",
    auth: "required",
    refuses: [403],
  },
  "POST /admin/erasures/run": { action: "admin.eraseDue", auth: "required", refuses: [403] },
  "POST /admin/posts/:id/recount": { action: "admin.recountPost", auth: "required", refuses: [403] },
  "GET /admin/transcodes/failed": { action: "admin.failedTranscodes", auth: "required", refuses: [403] },
  "POST /admin/transcodes/:mediaId/retry": {
    action: "admin.retryTranscode",
    auth: "required",
    refuses: [403],
  },
  "POST /admin/nodes/:nodeId/drain": {
    action: "admin.drainNode",
    auth: "required",
    status: 202,
    refuses: [403],
  },
  "GET /admin/audit": { action: "admin.audit", auth: "required", refuses: [403] },
  // Moderation: moderators and admins (403 NOT_MODERATOR for everyone else).
  "GET /admin/reports": { action: "moderation.queue", auth: "required", refuses: [403] },
  "GET /admin/reports/:id": { action: "moderation.case", auth: "required", refuses: [403] },
  "POST /admin/reports/:id/resolve": {
    action: "moderation.resolve",
    auth: "required",
    refuses: [403, 409],
  },
} as const satisfies Record<string, ApiRoute>;

export type ApiAction = (typeof apiRoutes)[keyof typeof apiRoutes]["action"];

const byAction = new Map<string, ApiRoute>(
  Object.values(apiRoutes).map((route: ApiRoute) => [route.action, route]),
);

/** moleculer-web aliases for the routes whose bodies arrive as JSON, or as a raw stream (`stream:` prefix). */
export function aliasesFor(body: "json" | "stream"): Record<string, string> {
  return Object.fromEntries(
    routesWithBody(body).map(([path, route]) => [
      path,
      body === "json" ? route.action : `stream:${route.action}`,
    ]),
  );
}

/** moleculer-web aliases for the multipart routes: `handler` reads the form and calls the route's action. */
export function multipartAliasesFor<H>(handler: H): Record<string, [H, string]> {
  return Object.fromEntries(
    routesWithBody("multipart").map(([path, route]) => [path, [handler, route.action]]),
  );
}

function routesWithBody(body: NonNullable<ApiRoute["body"]>): [string, ApiRoute][] {
  return (Object.entries(apiRoutes) as [string, ApiRoute][]).filter(
    ([, route]) => (route.body ?? "json") === body,
  );
}

export function routeOf(action: string | null | undefined): ApiRoute | undefined {
  return action ? byAction.get(action) : undefined;
}

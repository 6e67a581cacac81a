import { erasureStepParams, erasureStepResult } from "../erasure/params";
import { id } from "../validation/id";
import { z } from "zod";
import type { Serialized } from "./serialized";
import * as accounts from "../accounts/params";
import * as admin from "../admin/params";
import * as audit from "../audit/params";
import * as graph from "../graph/params";
import * as inbox from "../inbox/params";
import * as interactions from "../interactions/params";
import * as media from "../media-library/params";
import * as moderation from "../moderation/params";
import * as push from "../push/params";
import * as posts from "../posts/params";
import * as discovery from "../discovery/params";
import * as search from "../search/params";
import * as stories from "../stories/params";
import * as timeline from "../timeline/params";
import * as views from "../views/params";
import * as dataExport from "../export/params";
import { transcodeJobParams, transcodeOutcome } from "../transcoding/params";
import {
  commentObject,
  conversationObject,
  mediaObject,
  messageObject,
  mutedUserObject,
  sessionObject,
  muteObject,
  notificationObject,
  pageOf,
  postObject,
  rankedPostObject,
  storyGroupObject,
  storyObject,
  tagObject,
  userObject,
} from "./objects";
import { streamEventObject } from "./events";

/**
 * Every action of every service: its params, its result and what it does, in one map. Services implement it
 * (`defineActions`), callers call through it (`call`), the gateway's OpenAPI document is generated from it, and
 * the test broker checks every answer against it. `internal` actions serve other services only; the gateway
 * never routes to them.
 */
export interface ActionContract {
  params: z.ZodType;
  result: z.ZodType;
  summary: string;
  internal?: true;
  /** The handler answers the result's JSON text (`Serialized`), which the gateway sends as it is. */
  serialized?: true;
}

function erasureStep(summary: string) {
  return { params: erasureStepParams, result: erasureStepResult, summary, internal: true } as const;
}

/** Actions that take nothing but the caller. */
const noParams = z.strictObject({});
const nothing = z.void();
const signedIn = z.object({ user: userObject, token: z.string() }).meta({ id: "SignedIn" });
/** A request taken, whose outcome is not told (a mail that may or may not go out). */
const accepted = z
  .object({ message: z.string().describe("what happens next, for a person to read") })
  .meta({ id: "Accepted" });
const verificationPending = z
  .object({ user: userObject, emailVerification: z.literal("required") })
  .describe("EMAIL_VERIFICATION=required: no session until the mailed link is followed")
  .meta({ id: "VerificationPending" });
const followState = z.object({ state: z.enum(["following", "requested", "none"]) });
const likeState = z.object({ liked: z.boolean(), likeCount: z.number().int() });
const saveState = z.object({ saved: z.boolean() });
const users = pageOf(userObject);
const postsPage = pageOf(postObject);

export const actionContracts = {
  "users.signup": {
    params: accounts.signupParams,
    result: z.union([signedIn, verificationPending]),
    summary: "Create an account",
  },
  "users.deleteMe": {
    params: accounts.deleteMeParams,
    result: z.object({
      eraseAfter: z
        .string()
        .describe("when it is erased for good, unless its owner signs in before (ISO-8601)"),
    }),
    summary: "Delete one's account: hidden at once, every session ended, erased after the grace period",
  },
  "users.requestPasswordReset": {
    params: accounts.passwordResetParams,
    result: accepted,
    summary: "Mail a reset link, if an account has the address (the answer never says)",
  },
  "users.confirmPasswordReset": {
    params: accounts.passwordResetConfirmParams,
    result: nothing,
    summary: "Set a new password with a mailed token; every session of the account ends",
  },
  "users.verifyEmail": {
    params: accounts.tokenParams,
    result: nothing,
    summary: "Confirm the account's address with a mailed token",
  },
  "users.resendVerification": {
    params: accounts.passwordResetParams,
    result: accepted,
    summary: "Mail another verification link, if an unverified account has the address (never says)",
  },
  "users.login": { params: accounts.loginParams, result: signedIn, summary: "Sign in" },
  "users.logout": { params: noParams, result: nothing, summary: "Sign out (revokes the token)" },
  "users.me": { params: noParams, result: userObject, summary: "The signed-in user, with email" },
  "users.sessions": {
    params: noParams,
    result: z.object({ items: z.array(sessionObject) }),
    summary: "Where one is signed in (the newest 100 sessions), this one marked",
  },
  "users.endSession": {
    params: accounts.sessionIdParams,
    result: nothing,
    summary: "Sign one session out, at once on every node",
  },
  "users.endOtherSessions": {
    params: noParams,
    result: nothing,
    summary: "Sign out everywhere but here",
  },
  "users.changePassword": {
    params: accounts.changePasswordParams,
    result: nothing,
    summary: "Change one's password, given the current one; every other session is signed out",
  },
  "users.updateMe": { params: accounts.updateMeParams, result: userObject, summary: "Edit one's profile" },
  "users.get": { params: accounts.byUsernameParams, result: userObject, summary: "A user's profile" },
  "users.forgetSession": {
    params: accounts.sessionParams,
    result: nothing,
    summary: "Stops taking a session as live on this node (every users node, on logout)",
    internal: true,
  },
  "users.authenticate": {
    params: accounts.authenticateParams,
    // The proof binds the caller to this request (lib/accounts/caller-proof.ts); the gateway passes it on in meta.
    // A gateway in the users node's own process gets no proof: the object it gets is vouched for (CallerProofs.vouch).
    result: z.object({ userId: z.string(), sessionId: z.string(), proof: z.string().optional() }),
    summary: "Checks a bearer token (gateways, on every authenticated request)",
    internal: true,
  },
  "users.recordAudit": {
    params: audit.recordParams,
    result: audit.auditRowObject,
    summary: "Records one operator's console command in the audit log",
    internal: true,
  },
  "users.auditLog": {
    params: audit.readParams,
    result: z.object({ rows: z.array(audit.auditRowObject) }),
    summary: "The audit log's newest rows of one day",
    internal: true,
  },

  "graph.follow": { params: graph.targetParams, result: followState, summary: "Follow, or ask to follow" },
  "graph.unfollow": {
    params: graph.targetParams,
    result: followState,
    summary: "Unfollow, or withdraw a follow request",
  },
  "graph.requests": {
    params: graph.pageOnlyParams,
    result: users,
    summary: "Who asked to follow the caller",
  },
  "graph.approve": {
    params: graph.targetParams,
    result: z.object({ state: z.literal("approved") }),
    summary: "Approve a follow request",
  },
  "graph.reject": {
    params: graph.targetParams,
    result: z.object({ state: z.literal("rejected") }),
    summary: "Reject a follow request",
  },
  "graph.block": {
    params: graph.targetParams,
    result: z.object({ blocking: z.literal(true) }),
    summary: "Block a user (ends follows both ways)",
  },
  "graph.unblock": {
    params: graph.targetParams,
    result: z.object({ blocking: z.literal(false) }),
    summary: "Unblock a user",
  },
  "graph.mute": {
    params: graph.muteParams,
    result: muteObject,
    summary: "Mute a user: their posts, stories and notifications leave the caller's view; they are not told",
  },
  "graph.unmute": { params: graph.targetParams, result: muteObject, summary: "Unmute a user" },
  "graph.muteState": {
    params: graph.targetParams,
    result: muteObject,
    summary: "Whether the caller mutes a user",
  },
  "graph.mutes": {
    params: graph.pageOnlyParams,
    result: pageOf(mutedUserObject),
    summary: "The accounts the caller mutes",
  },
  "graph.closeFriends": {
    params: graph.pageOnlyParams,
    result: users,
    summary: "The caller's close friends (the audience of their close-friends posts and stories)",
  },
  "graph.addCloseFriend": {
    params: graph.targetParams,
    result: z.object({ closeFriend: z.literal(true) }),
    summary: "Add a user to the caller's close friends",
  },
  "graph.removeCloseFriend": {
    params: graph.targetParams,
    result: z.object({ closeFriend: z.literal(false) }),
    summary: "Take a user off the caller's close friends",
  },
  "graph.followers": { params: graph.userPageParams, result: users, summary: "A user's followers" },
  "graph.following": { params: graph.userPageParams, result: users, summary: "Whom a user follows" },

  "posts.create": { params: posts.createPostParams, result: postObject, summary: "Publish a post" },
  "posts.get": { params: posts.postIdParams, result: postObject, summary: "A post" },
  "posts.delete": { params: posts.postIdParams, result: nothing, summary: "Delete one's post" },
  "posts.byUser": {
    params: posts.userPostsParams,
    result: postsPage,
    summary: "A user's posts, newest first",
  },

  "timeline.feed": {
    params: timeline.feedParams,
    result: pageOf(rankedPostObject),
    summary:
      "The home feed: own and followed users' posts, newest first, or ranked (order=ranked; explain=1 shows why)",
    serialized: true,
  },
  "timeline.reels": {
    params: timeline.reelsParams,
    result: postsPage,
    summary: "Reels: video posts of the accounts the caller follows, newest first, then explore's",
  },
  "timeline.push": {
    params: timeline.pushParams,
    result: z.object({ pushed: z.number().int() }),
    summary: "Adds a post to timelines this node owns (a fan-out page)",
    internal: true,
  },
  "timeline.backfill": {
    params: timeline.backfillParams,
    result: z.object({ added: z.number().int() }),
    summary: "Brings a newly followed author's recent posts into a timeline",
    internal: true,
  },
  "timeline.backlog": {
    params: noParams,
    result: z.object({ jobs: z.number().int(), oldestAgeMs: z.number().nullable() }),
    summary: "Unfinished fan-out jobs (for operators)",
    internal: true,
  },
  "timeline.fanout": {
    params: timeline.fanoutParams,
    result: z.object({ ran: z.boolean() }),
    summary: "Runs a recorded fan-out job",
    internal: true,
  },

  "search.query": {
    params: search.searchParams,
    result: z.union([users, pageOf(tagObject), postsPage]),
    summary: "Search users, tags or posts (typo-tolerant, best match first)",
  },
  "search.status": {
    params: noParams,
    result: z.object({
      generation: z.string(),
      documents: z.object({ users: z.number().int(), posts: z.number().int(), tags: z.number().int() }),
      pendingJobs: z.number().int(),
      oldestPendingAgeMs: z.number().nullable(),
      reindex: z
        .object({ generation: z.string(), phase: z.string(), done: z.number().int(), startedAt: z.string() })
        .nullable(),
    }),
    summary:
      "The index's live generation, its size, the jobs not applied yet and a reindex under way (for operators)",
    internal: true,
  },
  "search.reindex": {
    params: search.reindexParams,
    result: z.object({ generation: z.string(), phase: z.string(), done: z.number().int() }),
    summary: "Rebuilds the index from the store into a new generation and swaps it in; resumes one under way",
    internal: true,
  },

  "discovery.tagPosts": {
    params: discovery.tagPostsParams,
    result: postsPage,
    summary: "Posts with a hashtag, newest first",
  },
  "discovery.trending": {
    params: discovery.trendingParams,
    result: z.object({ items: z.array(tagObject) }),
    summary: "Hashtags used by more distinct people than usual lately",
  },
  "discovery.explore": {
    params: discovery.explorePageParams,
    result: postsPage,
    summary: "Posts gaining likes and comments fastest, from accounts the caller does not follow",
  },
  "discovery.suggested": {
    params: discovery.suggestedParams,
    result: users,
    summary: "Accounts followed by the people the caller follows, most shared first",
  },

  "interactions.like": { params: interactions.postIdParams, result: likeState, summary: "Like a post" },
  "interactions.unlike": { params: interactions.postIdParams, result: likeState, summary: "Unlike a post" },
  "interactions.likers": { params: interactions.postPageParams, result: users, summary: "Who liked a post" },
  "interactions.comment": {
    params: interactions.commentParams,
    result: commentObject,
    summary: "Comment on a post, or reply to a comment",
  },
  "interactions.comments": {
    params: interactions.postPageParams,
    result: pageOf(commentObject),
    summary: "A post's comments, oldest first",
  },
  "interactions.deleteComment": {
    params: interactions.commentIdParams,
    result: nothing,
    summary: "Delete a comment (its author or the post's)",
  },
  "interactions.save": { params: interactions.postIdParams, result: saveState, summary: "Save a post" },
  "interactions.unsave": { params: interactions.postIdParams, result: saveState, summary: "Unsave a post" },
  "interactions.saved": {
    params: interactions.savedParams,
    result: postsPage,
    summary: "The caller's saved posts",
  },
  "interactions.liked": {
    params: interactions.savedParams,
    result: postsPage,
    summary: "The posts the caller liked, newest like first",
  },
  "interactions.myComments": {
    params: interactions.savedParams,
    result: pageOf(commentObject),
    summary: "The caller's own comments, newest first",
  },
  "interactions.share": {
    params: interactions.shareParams,
    result: z.object({ sent: z.number().int() }),
    summary: "Send a post to users as a direct message",
  },

  "stories.create": { params: stories.createStoryParams, result: storyObject, summary: "Post a story" },
  "stories.feed": {
    params: noParams,
    result: z.object({ items: z.array(storyGroupObject) }),
    summary: "Followed users with live stories, unseen first",
  },
  "stories.byUser": {
    params: stories.userStoriesParams,
    result: z.object({ items: z.array(storyObject) }),
    summary: "A user's live stories",
  },
  "stories.view": { params: stories.storyIdParams, result: nothing, summary: "Mark a story seen" },
  "stories.viewers": {
    params: stories.storyViewersParams,
    result: users,
    summary: "Who saw a story (its author only)",
  },
  "stories.delete": { params: stories.storyIdParams, result: nothing, summary: "Delete one's story" },

  "inbox.notify": {
    params: inbox.notifyParams,
    result: nothing,
    summary: "Records a notification in its recipient's inbox",
    internal: true,
  },
  "inbox.notifications": {
    params: inbox.pageOnlyParams,
    result: pageOf(notificationObject),
    summary: "Notifications, newest first",
  },
  "inbox.unreadCount": {
    params: noParams,
    result: z.object({ count: z.number().int() }),
    summary: "How many notifications are unread",
  },
  "inbox.markRead": {
    params: inbox.markReadParams,
    result: nothing,
    summary: "Mark notifications read, up to one or all",
  },
  "inbox.openConversation": {
    params: inbox.openConversationParams,
    result: conversationObject,
    summary: "Start a conversation (201), or find the one with the same members (200)",
  },
  "inbox.conversations": {
    params: inbox.pageOnlyParams,
    result: pageOf(conversationObject),
    summary: "Conversations, most recent message first",
  },
  "inbox.messages": {
    params: inbox.conversationPageParams,
    result: pageOf(messageObject),
    summary: "A conversation's messages, newest first",
  },
  "inbox.send": { params: inbox.sendParams, result: messageObject, summary: "Send a message" },
  "inbox.markConversationRead": {
    params: inbox.conversationIdParams,
    result: nothing,
    summary: "Mark a conversation read",
  },
  "inbox.deliverMessage": {
    params: inbox.deliverMessageParams,
    result: nothing,
    summary: "Delivers a stored message to one member's inbox",
    internal: true,
  },
  "inbox.sharePost": {
    params: inbox.sharePostParams,
    result: z.object({ conversationIds: z.array(z.string()) }),
    summary: "Sends a post to recipients as messages",
    internal: true,
  },
  "inbox.pushKey": {
    params: noParams,
    result: push.pushKeyObject,
    summary: "The VAPID public key to subscribe to Web Push with",
  },
  "inbox.pushSubscriptions": {
    params: noParams,
    result: z.object({ items: z.array(push.pushSubscriptionObject) }),
    summary: "One's Web Push subscriptions (browsers and devices)",
  },
  "inbox.subscribePush": {
    params: push.subscribeParams,
    result: push.pushSubscriptionObject,
    summary: "Subscribe a browser to Web Push, for some kinds of notification",
  },
  "inbox.unsubscribePush": {
    params: push.unsubscribeParams,
    result: nothing,
    summary: "Unsubscribe a browser from Web Push",
  },
  "inbox.replay": {
    params: inbox.replayParams,
    result: z.object({ events: z.array(streamEventObject) }),
    summary: "Stream events after a Last-Event-ID",
    internal: true,
  },

  "media.upload": { params: media.uploadParams, result: mediaObject, summary: "Upload a photo or video" },
  "media.get": { params: media.mediaIdParams, result: mediaObject, summary: "A media and its variants" },
  "media.describe": {
    params: media.describeMediaParams,
    result: mediaObject,
    summary: "Set or remove a media's alt text (its owner, before or after it is posted)",
  },
  "media.avatar": {
    params: media.avatarParams,
    result: z.object({ url: z.string().nullable() }).nullable(),
    summary: "The URL of an owner's image at avatar size",
    internal: true,
  },
  "media.avatarChosen": {
    params: media.avatarChosenParams,
    result: nothing,
    summary: "An image became its owner's avatar",
    internal: true,
  },
  "media.ownerPrivacy": {
    params: media.ownerPrivacyParams,
    result: nothing,
    summary: "An owner went private or public, and so do their files",
    internal: true,
  },
  "media.startUpload": {
    params: media.startUploadParams,
    result: z.object({ id: z.string(), partSize: z.number().int(), partCount: z.number().int() }),
    summary: "Start a resumable upload",
  },
  "media.putPart": {
    params: media.putPartParams,
    result: z.object({ n: z.number().int(), size: z.number().int() }),
    summary: "Send one part of a resumable upload (again, if need be)",
  },
  "media.uploadStatus": {
    params: media.uploadIdParams,
    result: z.object({ id: z.string(), receivedParts: z.array(z.number().int()), complete: z.boolean() }),
    summary: "Which parts of an upload arrived",
  },
  "media.completeUpload": {
    params: media.uploadIdParams,
    result: mediaObject,
    summary: "Assemble a resumable upload into a media",
  },
  "media.presign": {
    params: media.presignParams,
    result: z.object({
      mediaId: z.string(),
      url: z.string(),
      method: z.literal("PUT"),
      headers: z.record(z.string(), z.string()),
    }),
    summary: "A URL to upload straight to the store (S3 only)",
  },
  "media.finalize": {
    params: media.mediaIdParams,
    result: mediaObject,
    summary: "Turn a presigned upload into a media",
  },

  "transcoder.process": {
    params: transcodeJobParams,
    result: transcodeOutcome,
    summary: "Renders a media's variants",
    internal: true,
  },

  "admin.lookup": {
    params: admin.userRefParams,
    result: admin.adminUserObject,
    summary: "An account by username, id or email, with its role, standing and sessions (admins only)",
  },
  "admin.suspend": {
    params: admin.suspendParams,
    result: admin.adminUserObject,
    summary:
      "Suspends an account until a time or for good: it cannot sign in, its sessions end, its content is hidden",
  },
  "admin.unsuspend": {
    params: admin.userRefParams,
    result: admin.adminUserObject,
    summary: "Lifts an account's suspension",
  },
  "admin.revokeSessions": {
    params: admin.userRefParams,
    result: admin.revokedObject,
    summary: "Signs an account out everywhere",
  },
  "admin.setRole": {
    params: admin.setRoleParams,
    result: admin.adminUserObject,
    summary: "Grants or takes away the admin or moderator role (the operator's console only)",
    internal: true,
  },
  "admin.recountUser": {
    params: admin.userRefParams,
    result: admin.userRecountObject,
    summary: "Sets an account's follower, following and post counts to what its rows say",
  },
  "admin.recountPost": {
    params: admin.postRefParams,
    result: admin.postRecountObject,
    summary: "Sets a post's like and comment counts to what its rows say",
  },
  "admin.rebuildTimeline": {
    params: admin.userRefParams,
    result: admin.rebuiltObject,
    summary: "Writes an account's home timeline back from the posts of whom it follows",
  },
  "admin.backfillActivity": {
    params: noParams,
    result: admin.backfilledObject,
    summary:
      "Lists every like and comment under its user and every save under its post, for those made before the lists existed",
  },
  "graph.backfillIndexes": {
    params: noParams,
    result: z.object({ indexed: z.number().int() }),
    summary: "Writes the reverse lists an erasure walks for requests, close friends and mutes (a full scan)",
    internal: true,
  },
  "inbox.backfillIndexes": {
    params: noParams,
    result: z.object({ indexed: z.number().int() }),
    summary: "Lists each notification under its actor, for an erasure to find (a full scan)",
    internal: true,
  },
  "admin.eraseDue": {
    params: noParams,
    result: z.object({ erased: z.number().int().describe("accounts erased by this call") }),
    summary:
      "Erases now the deleted accounts whose grace period is over (each users node also does it every minute)",
  },
  "interactions.backfillActivity": {
    params: noParams,
    result: admin.backfilledObject,
    summary: "Lists every like and comment under its user and every save under its post (a full scan)",
    internal: true,
  },
  "admin.failedTranscodes": {
    params: admin.failedTranscodesParams,
    result: z.object({ items: z.array(media.failedTranscodeObject) }),
    summary: "Media whose transcoding failed for good, most recent first",
  },
  "admin.retryTranscode": {
    params: admin.mediaRefParams,
    result: mediaObject,
    summary: "Sends a failed media to the transcoders again",
  },
  "admin.drainNode": {
    params: admin.nodeRefParams,
    result: admin.drainObject,
    summary: "Stops a node gracefully, as SIGTERM does: not ready, in-flight work finished, the cluster left",
  },
  "admin.audit": {
    params: admin.auditParams,
    result: z.object({ items: z.array(audit.auditRowObject) }),
    summary: "The audit log of operators' and admins' commands: one UTC day, newest first",
  },
  "graph.recount": {
    params: admin.ofUserParams,
    result: admin.followCountsObject,
    summary: "Sets a user's follower and following counts to the number of edges",
    internal: true,
  },
  "posts.edit": {
    params: posts.editPostParams,
    result: postObject,
    summary: "Edit a post's caption (the author only); its tags, mentions and search follow",
  },
  "posts.recount": {
    params: admin.ofUserParams,
    result: admin.postCountObject,
    summary: "Sets a user's post count to the number of their posts",
    internal: true,
  },
  "interactions.recordViews": {
    params: views.recordViewsParams,
    result: views.recordedViewsObject,
    summary: "Report posts shown to the caller (or videos played); each counts once per viewer, post and day",
  },
  "interactions.insights": {
    params: posts.postIdParams,
    result: views.insightsObject,
    summary:
      "A post's insights: views, unique viewers, engagement, reach, its first 48 hours (the author only)",
  },
  "interactions.recount": {
    params: admin.ofPostParams,
    result: admin.postRecountObject,
    summary: "Sets a post's like and comment counts to the number of their rows",
    internal: true,
  },
  "timeline.rebuild": {
    params: admin.ofUserParams,
    result: admin.rebuiltObject,
    summary: "Writes a user's timeline back from whom they follow (on the user's owner node)",
    internal: true,
  },
  "media.failedTranscodes": {
    params: admin.failedTranscodesParams,
    result: z.object({ items: z.array(media.failedTranscodeObject) }),
    summary: "Media whose transcoding failed for good",
    internal: true,
  },
  "media.retryTranscode": {
    params: admin.mediaRefParams,
    result: mediaObject,
    summary: "Sends a failed media to the transcoders again",
    internal: true,
  },
  "moderation.report": {
    params: moderation.reportParams,
    result: moderation.reportObject,
    summary: "Report a post, comment, story, message (its conversation's members only) or account",
  },
  "moderation.mine": {
    params: moderation.myReportsParams,
    result: pageOf(moderation.reportObject),
    summary: "One's own reports, newest first, each with what became of it",
  },
  "moderation.queue": {
    params: moderation.queueParams,
    result: pageOf(moderation.reportCaseObject),
    summary: "The moderation queue: open report cases, oldest first (moderators and admins)",
  },
  "moderation.case": {
    params: moderation.caseIdParams,
    result: moderation.reportCaseDetailObject,
    summary: "One report case with its reports (moderators and admins)",
  },
  "moderation.resolve": {
    params: moderation.resolveParams,
    result: moderation.reportCaseObject,
    summary:
      "Decide a report case: dismiss it, remove the content, or suspend its author (moderators and admins)",
  },
  "posts.remove": {
    params: moderation.contentRefParams,
    result: nothing,
    summary: "Removes a post for everyone, as a deletion (a moderator's decision)",
    internal: true,
  },
  "interactions.reportedComment": {
    params: moderation.contentRefParams,
    result: moderation.targetSnapshotObject,
    summary: "A comment as the caller reports it; 404 when they may not see it",
    internal: true,
  },
  "interactions.removeComment": {
    params: moderation.contentRefParams,
    result: nothing,
    summary: "Removes a comment for everyone (a moderator's decision)",
    internal: true,
  },
  "stories.reported": {
    params: moderation.contentRefParams,
    result: moderation.targetSnapshotObject,
    summary: "A story as the caller reports it; 404 when they may not see it",
    internal: true,
  },
  "stories.remove": {
    params: moderation.contentRefParams,
    result: nothing,
    summary: "Removes a story for everyone (a moderator's decision)",
    internal: true,
  },
  "inbox.reportedMessage": {
    params: moderation.messageRefParams,
    result: moderation.targetSnapshotObject,
    summary: "A message as a member of its conversation reports it; 404 for anyone else",
    internal: true,
  },
  "inbox.removeMessage": {
    params: moderation.messageRefParams,
    result: nothing,
    summary: "Marks a message removed and stops serving its media (a moderator's decision)",
    internal: true,
  },
  "export.start": {
    params: noParams,
    result: dataExport.exportObject,
    summary: "Start an archive of one's data (one at a time: 409 while one is being made)",
  },
  "export.status": {
    params: noParams,
    result: dataExport.exportObject,
    summary: "One's latest data export: its progress, and its download link once ready",
  },
  // An account's erasure (lib/erasure): one step per service holding part of the account, each a bounded call.
  "timeline.erase": erasureStep(
    "Removes the account's posts from its followers' timelines, then its own timeline",
  ),
  "posts.erase": erasureStep("Deletes a page of the account's posts, each with what others left on it"),
  "stories.erase": erasureStep("Deletes the account's stories"),
  "interactions.erase": erasureStep("Removes the account's likes, comments and saves, correcting the counts"),
  "graph.erase": erasureStep("Removes the account's follows, requests, blocks, close friends and mutes"),
  "inbox.erase": erasureStep(
    "Takes the account out of its conversations (its messages stay, from a deleted account) and removes its notifications",
  ),
  "moderation.erase": erasureStep("Takes the reports the account filed out of their cases"),
  "export.erase": erasureStep("Deletes the account's data exports, archives and jobs"),
  "media.erase": erasureStep("Deletes every file and record of the account's media"),
  "users.erase": erasureStep("Deletes the account's sessions, claims and row: the last step"),
  "interactions.forgetPost": {
    params: z.strictObject({ postId: id, cursor: erasureStepParams.shape.cursor }),
    result: erasureStepResult,
    summary: "Removes a page of what others left on a post being erased (likes, comments, saves)",
    internal: true,
  },
  "inbox.forgetUser": {
    params: z.strictObject({ userId: id }),
    result: nothing,
    summary: "On the user's inbox owner: drops what it keeps of their notifications, changed behind it",
    internal: true,
  },
  "users.eraseDue": {
    params: noParams,
    result: z.object({ erased: z.number().int() }),
    summary: "Erases now the deleted accounts whose grace period is over",
    internal: true,
  },
  "lifecycle.drain": {
    params: noParams,
    result: z.object({ nodeId: z.string() }),
    summary: "Stops this node gracefully (sent to one node by its id)",
    internal: true,
  },
} satisfies Record<string, ActionContract>;

export type Contracts = typeof actionContracts;
export type ActionName = keyof Contracts;
/** What a caller passes (defaults may be left out; query strings may be text). */
export type ParamsIn<N extends ActionName> = z.input<Contracts[N]["params"]>;
/** What a handler receives, once checked. */
export type ParamsOut<N extends ActionName> = z.output<Contracts[N]["params"]>;
/** What the action answers: the result, or its JSON text where the contract says `serialized`. */
export type ResultOf<N extends ActionName> = Contracts[N] extends { serialized: true }
  ? Serialized<z.output<Contracts[N]["result"]>>
  : z.output<Contracts[N]["result"]>;

export type ServiceName = ActionName extends `${infer S}.${string}` ? S : never;
/** The actions of one service, by their short names. */
export type ActionsOf<S extends ServiceName> = {
  [N in ActionName as N extends `${S}.${infer A}` ? A : never]: N;
};

export function contractOf(name: string): ActionContract | undefined {
  return Object.hasOwn(actionContracts, name) ? actionContracts[name as ActionName] : undefined;
}

import type { Accounts } from "../accounts";
import type { Graph } from "../graph";
import type { MediaLibrary } from "../media-library/media-library";
import type { Posts } from "../posts/posts";
import type { Removals } from "../moderation/removals";
import type { WebPush } from "../push/web-push";
import type { WideRowStore } from "../store/store";
import type { PublishStreamEvent } from "../stream/events";

/**
 * What the inbox needs from the rest of Mosaic. The node passes the real classes; only the methods named here
 * are used, so tests may pass smaller fakes.
 */
export interface InboxDeps {
  store: WideRowStore;
  ids: { next(): Promise<string> };
  now: () => number;
  accounts: Pick<Accounts, "idsOf" | "view">;
  graph: Pick<Graph, "isBlockedEitherWay" | "mutes">;
  /** `attach` records a photo as a message's: served only at signed URLs, whatever the sender's privacy. */
  media: Pick<MediaLibrary, "find" | "view"> & Partial<Pick<MediaLibrary, "attach" | "markDeleted">>;
  posts: Pick<Posts, "visibleAuthor">;
  publish: PublishStreamEvent;
  /** Web Push to the recipient's subscriptions when they have no stream open (lib/push). */
  push?: Pick<WebPush, "notification" | "message">;
  /** What moderators removed: messages and notifications pointing at it say so, or leave it out. */
  removals?: Pick<Removals, "removed">;
  /** Where the messages a user sends someone are counted, for the ranked feed's affinity. */
  affinity?: { bump(userId: string, authorId: string, kind: "messages"): Promise<void> };
}

export type { Page } from "../validation/page";

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

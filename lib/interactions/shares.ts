import { quietly } from "./quietly";
import { BadRequestError } from "../errors";
import type { InteractionsDeps } from "./deps";

/** Sends a post as a direct message, through the inbox's port. */
export class Shares {
  constructor(private readonly deps: InteractionsDeps) {}

  /**
   * To each named user (lower-case usernames, as the params leave them). A name that is no user, or one hidden
   * from the sender by a block either way, is unknown: the whole share is refused naming them, and nothing is
   * sent.
   */
  async share(senderId: string, postId: string, usernames: readonly string[]): Promise<{ sent: number }> {
    await this.deps.posts.visibleAuthor(senderId, postId);
    const names = [...new Set(usernames)];
    const found = await this.deps.accounts.idsOf(names);
    const hidden = await Promise.all(
      names.map(async (name) => {
        const id = found.get(name);
        return id === undefined || (await this.deps.graph.isBlockedEitherWay(senderId, id));
      }),
    );
    const unknown = names.filter((_, i) => hidden[i]);
    if (unknown.length > 0) {
      throw new BadRequestError("UNKNOWN_USERNAMES", `no such users: ${unknown.join(", ")}`, {
        field: "usernames",
        usernames: unknown,
      });
    }
    const recipientIds = names.map((name) => found.get(name)).filter((id): id is string => id !== undefined);
    if (recipientIds.includes(senderId)) {
      throw new BadRequestError("CANNOT_SHARE_WITH_SELF", "share with others, not yourself", {
        field: "usernames",
      });
    }
    await this.deps.messenger.sharePost(senderId, recipientIds, postId);
    const activity = this.deps.activity;
    if (activity) await quietly(() => activity.record(postId, "shares"));
    return { sent: recipientIds.length };
  }
}

import { BadRequestError, ConflictError } from "../errors";
import type { WideRowStore } from "../store/store";
import { slicePage, type PageRequest } from "../validation/page";
import type { IdPage } from "./graph";
import { closeFriendOf, closeFriends } from "./tables";

/**
 * How many close friends one person keeps: enough for the circle the feature is for, and it bounds the
 * partition, the fan-out of a close-friends post and the cost of counting before an add.
 */
export const MAX_CLOSE_FRIENDS = 1_000;

/**
 * A user's close friends: the audience of what they share with `audience: "close_friends"`. Adding is not
 * following: whom the list names still sees a private account's close-friends posts only once approved, and a
 * block either way hides everything whatever the list says (the readers check both, lib/audience/audience.ts).
 */
export class CloseFriends {
  constructor(
    private readonly store: WideRowStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds `friendId` to `userId`'s list; adding someone already there changes nothing. */
  async add(userId: string, friendId: string): Promise<void> {
    if (userId === friendId) {
      throw new BadRequestError("CANNOT_ADD_SELF", "you are always in your own audience");
    }
    if (await this.includes(userId, friendId)) return;
    const listed = await this.store.slice(closeFriends, { user_id: userId }, { limit: MAX_CLOSE_FRIENDS });
    if (listed.rows.length >= MAX_CLOSE_FRIENDS) {
      throw new ConflictError(
        "CLOSE_FRIENDS_FULL",
        `a close-friends list holds at most ${MAX_CLOSE_FRIENDS}`,
      );
    }
    await this.store.put(closeFriendOf, { user_id: friendId, owner_id: userId });
    await this.store.put(closeFriends, {
      user_id: userId,
      friend_id: friendId,
      added_at: new Date(this.now()),
    });
  }

  /** Takes `friendId` off the list; what they were shown before stops showing at their next read. */
  async remove(userId: string, friendId: string): Promise<void> {
    await this.store.delete(closeFriends, { user_id: userId, friend_id: friendId });
    await this.store.delete(closeFriendOf, { user_id: friendId, owner_id: userId });
  }

  async includes(userId: string, friendId: string): Promise<boolean> {
    return (await this.store.get(closeFriends, { user_id: userId, friend_id: friendId })) !== undefined;
  }

  /** The list a page at a time, in the order accounts were made. */
  async page(userId: string, page: PageRequest): Promise<IdPage> {
    const slice = await slicePage(this.store, closeFriends, { user_id: userId }, page);
    return { ids: slice.rows.map((row) => row.friend_id), nextCursor: slice.nextPageToken ?? null };
  }

  /** The whole list (bounded by MAX_CLOSE_FRIENDS): whom a close-friends post is delivered to. */
  async ids(userId: string): Promise<string[]> {
    const slice = await this.store.slice(closeFriends, { user_id: userId }, { limit: MAX_CLOSE_FRIENDS });
    return slice.rows.map((row) => row.friend_id);
  }
}

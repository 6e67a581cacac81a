import { backfillActivity } from "./activity-backfill";
import type { UserView } from "../accounts/user-view";
import type { PostView } from "../posts/posts";
import { Comments, type CommentView } from "./comments";
import type { InteractionsDeps } from "./deps";
import { Likes, type LikeState } from "./likes";
import type { Page, PageRequest } from "../validation/page";
import { InteractionsErasure } from "./erasure";
import { Saves } from "./saves";
import { Shares } from "./shares";

export type { InteractionsDeps } from "./deps";

/**
 * Likes, comments, saves and shares of posts. Every one first asks posts whether the caller may see the post,
 * so a post they may not see answers 404 whatever they try on it.
 */
export class Interactions {
  private readonly likes: Likes;
  private readonly comments: Comments;
  private readonly saves: Saves;
  private readonly shares: Shares;
  /** What an account's erasure removes here (lib/erasure). */
  readonly erasure: InteractionsErasure;

  constructor(private readonly deps: InteractionsDeps) {
    this.likes = new Likes(deps);
    this.comments = new Comments(deps);
    this.saves = new Saves(deps);
    this.shares = new Shares(deps);
    this.erasure = new InteractionsErasure({
      store: deps.store,
      ...(deps.countsChanged && { countsChanged: deps.countsChanged }),
      ...(deps.affinity && {
        eraseAffinities: (userId: string) => deps.affinity?.erase(userId) ?? Promise.resolve(true),
      }),
      existing: async (postIds) =>
        new Set((await deps.posts.entriesOf(postIds)).map((entry) => entry.postId)),
    });
    deps.journal.register("like", (op) => this.likes.complete(op.userId, op.postId));
    deps.journal.register("unlike", (op) => this.likes.complete(op.userId, op.postId, op.likeId));
    deps.journal.register("comment", (op) => this.comments.complete(op.postId, op.commentId, op.authorId));
  }

  /** Sets a post's counts to what its rows say, repairing drift a crash left (an operator's command). */
  async recount(postId: string): Promise<{ likes: number; comments: number }> {
    const [likes, comments] = await Promise.all([this.likes.recount(postId), this.comments.recount(postId)]);
    return { likes, comments };
  }

  like(userId: string, postId: string): Promise<LikeState> {
    return this.likes.like(userId, postId);
  }

  unlike(userId: string, postId: string): Promise<LikeState> {
    return this.likes.unlike(userId, postId);
  }

  likers(viewerId: string, postId: string, page: PageRequest): Promise<Page<UserView>> {
    return this.likes.likers(viewerId, postId, page);
  }

  comment(
    authorId: string,
    postId: string,
    input: { text: string; replyToId?: string | undefined },
  ): Promise<CommentView> {
    return this.comments.add(authorId, postId, input);
  }

  listComments(viewerId: string, postId: string, page: PageRequest): Promise<Page<CommentView>> {
    return this.comments.list(viewerId, postId, page);
  }

  deleteComment(callerId: string, commentId: string): Promise<void> {
    return this.comments.delete(callerId, commentId);
  }

  /** A comment as the caller reports it (moderation). */
  reportedComment(callerId: string, commentId: string): Promise<{ authorId: string; text?: string }> {
    return this.comments.reported(callerId, commentId);
  }

  /** A moderator removed the comment. */
  removeComment(commentId: string): Promise<void> {
    return this.comments.remove(commentId);
  }

  save(userId: string, postId: string): Promise<{ saved: boolean }> {
    return this.saves.save(userId, postId);
  }

  unsave(userId: string, postId: string): Promise<{ saved: boolean }> {
    return this.saves.unsave(userId, postId);
  }

  saved(userId: string, page: PageRequest): Promise<Page<PostView>> {
    return this.saves.list(userId, page);
  }

  liked(userId: string, page: PageRequest): Promise<Page<PostView>> {
    return this.likes.liked(userId, page);
  }

  /** An operator's repair: lists every like and comment under its user (admin.backfillActivity). */
  async backfillActivity(): Promise<{ likes: number; comments: number; saves: number; indexed: number }> {
    const listed = await backfillActivity(this.deps.store, async (postIds) => {
      const entries = await this.deps.posts.entriesOf(postIds);
      return new Map(entries.map((entry): [string, string] => [entry.postId, entry.authorId]));
    });
    return { ...listed, indexed: (await this.deps.affinity?.backfillReaders()) ?? 0 };
  }

  myComments(userId: string, page: PageRequest): Promise<Page<CommentView>> {
    return this.comments.mine(userId, page);
  }

  share(senderId: string, postId: string, usernames: readonly string[]): Promise<{ sent: number }> {
    return this.shares.share(senderId, postId, usernames);
  }
}

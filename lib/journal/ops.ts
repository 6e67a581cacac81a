import { z } from "zod";
import { id } from "../validation/id";

/**
 * Every kind of operation the journal knows, with its arguments: what a completer needs to finish (or undo) the
 * operation from the rows alone. One schema per kind is both the stored shape and its type.
 */
export const journalOps = {
  /** A like: the deciding row, the likers list row, the post's like count. */
  like: z.strictObject({ userId: id, postId: id }),
  /** An unlike of one like (by id): the deciding row, its list row, the count. */
  unlike: z.strictObject({ userId: id, postId: id, likeId: id }),
  /** A comment added or deleted: the comment's rows and the post's comment count. */
  comment: z.strictObject({ postId: id, commentId: id, authorId: id.optional() }),
  /**
   * A follow edge made or removed: the edge, both lists, both counts; a removal names the edge ids its list rows
   * are keyed by, which nothing else would tell once the edge is gone.
   */
  follow: z.strictObject({ followerId: id, followeeId: id, edgeIds: z.array(id).max(2) }),
  /** A post created: its claims, lookup row, row, the author's post count and its fan-out job. */
  post: z.strictObject({ authorId: id, postId: id, mediaIds: z.array(id).max(20) }),
  /**
   * A post deleted: its media stopped, its row and lookup row gone, the author's post count, and its listings
   * (tag pages, the search index), which its tags and time find once the row is gone.
   */
  postDeletion: z.strictObject({
    authorId: id,
    postId: id,
    mediaIds: z.array(id).max(20),
    hashtags: z.array(z.string().max(100)).max(30).default([]),
    createdAt: z.number().int().optional(),
  }),
  /**
   * A caption edited: the row, then its listings (tag pages, the search index). `removedTags`: the tags the old
   * caption had and the new one lacks, which nothing else would tell once the row holds the new caption.
   */
  postEdit: z.strictObject({
    authorId: id,
    postId: id,
    removedTags: z.array(z.string().max(100)).max(30),
    createdAt: z.number().int(),
  }),
  /** A change that search must see (a profile edited, an account made private): its index jobs, after it. */
  searchJobs: z.strictObject({
    jobs: z
      .array(
        z.strictObject({
          type: z.enum(["user", "post", "tag", "authorPosts"]),
          docId: z.string().min(1).max(200),
        }),
      )
      .min(1)
      .max(40),
  }),
} as const;

export type JournalOp = keyof typeof journalOps;
export type JournalArgs<K extends JournalOp> = z.infer<(typeof journalOps)[K]>;
/** Finishes (or undoes) an operation from what the store holds; safe to run twice, or after the operation did. */
export type Completer<K extends JournalOp> = (args: JournalArgs<K>) => Promise<void>;

import type { PostView } from "../contracts/objects";
import type { Page } from "../validation/page";
import type { UserView } from "../accounts/user-view";
import { BadRequestError, ForbiddenError, NotFoundError } from "../errors";
import { isAttachableBy, isPublicMedia, type MediaRow, type MediaView } from "../media-library/media-view";
import type { WideRowStore } from "../store/store";
import { parseHashtags, parseMentions } from "./caption";
import { authorPosts, deletedPosts, mediaClaims, postAuthors, postKey, posts } from "./tables";
import { userCounts } from "../accounts/tables";
import { cacheKeys, type Cache } from "../cache/cache";
import type { WriteJournal } from "../journal/write-journal";
import type { Notifier } from "../contracts/ports";
import { NO_ENGAGEMENT, type EngagementSource, type PostEngagement } from "./engagement";
import { setCounter } from "../store/counters";
import { LruMap } from "../concurrency/lru-map";
import { whenAll } from "../concurrency/when-all";
import { estimateBytes } from "../cache/budget";
import type { Row } from "../store/schema";
import { idTimestamp } from "../ids";
import {
  audienceColumn,
  audienceOfColumn,
  inAudience,
  keepInAudience,
  type Audience,
  type CloseFriendsLookup,
} from "../audience/audience";

type PostRow = Row<typeof posts>;

/** Shorter than the life of a presigned media URL (an hour), so a cached view never hands out a dead link. */
const MEDIA_VIEW_TTL_MS = 10 * 60_000;

export type { PostView } from "../contracts/objects";

export type { Page } from "../validation/page";

export interface HydrateOptions {
  /**
   * The author as the viewer sees them, given a loader of their public profile (the author as they see
   * themselves: no relationship); undefined skips their posts.
   */
  authorView?: (
    authorId: string,
    profile: () => Promise<UserView | undefined>,
  ) => UserView | undefined | Promise<UserView | undefined>;
}

/** What posts need of media: their records and views (the media library). */
export interface MediaCatalog {
  find(mediaId: string): Promise<MediaRow | undefined>;
  view(row: MediaRow): Promise<MediaView>;
  /** Makes the media as visible as the author's posts (public unless the author is private). */
  attach?(
    ownerId: string,
    mediaIds: readonly string[],
    audience: "followers" | "close_friends",
    ownerIsPrivate: boolean,
  ): Promise<void>;
  /** The media of a deleted post: their files answer 404 at once and are removed later. */
  markDeleted?(ownerId: string, mediaIds: readonly string[]): Promise<void>;
}

/** What posts need of accounts. */
export interface UserDirectory {
  /** Ids of the usernames that exist, by lower-case username. */
  idsOf(usernames: readonly string[]): Promise<Map<string, string>>;
  /** The user as `viewerId` sees them; undefined when there is no such user. */
  view(viewerId: string, userId: string): Promise<UserView | undefined>;
  /** Whether an account is private, when it is shown at all (not suspended nor deleted); one read. */
  shown(userId: string): Promise<{ isPrivate: boolean } | undefined>;
}

/** Who may see whose posts: the follow graph and blocks. */
export interface PostVisibility {
  /** "visible"; "private" (a private account the viewer does not follow); "hidden" (a block either way). */
  of(viewerId: string, author: { id: string; isPrivate: boolean }): Promise<"visible" | "private" | "hidden">;
}

/** A post as the lists beyond its author's see it. */
export interface ListedPost {
  postId: string;
  authorId: string;
  hashtags: readonly string[];
  createdAt: Date;
  /** Absent when a deletion is completed after a crash, the row gone. */
  caption?: string;
  /** Close friends' posts are listed nowhere beyond their author's profile and their friends' feeds. */
  audience?: Audience;
}

/**
 * Somewhere else a post is listed (its tags' pages, the search index). Both calls run inside the post's
 * journalled operation, so a crash completes them with the rest: each must be idempotent.
 */
export interface PostListing {
  listed(post: ListedPost): Promise<void>;
  unlisted(post: ListedPost): Promise<void>;
}

export interface PostsDeps {
  store: WideRowStore;
  ids: { next(): Promise<string> };
  media: MediaCatalog;
  users: UserDirectory;
  visibility: PostVisibility;
  /** Whom each author keeps as close friends: the audience of their close-friends posts. */
  closeFriends: CloseFriendsLookup;
  /** Ready media views (immutable once ready) for hydration; a miss falls back to the store. */
  cache: Cache;
  /** Records the post's fan-out durably and starts it; the post is acknowledged only after it resolves. */
  published: (post: { postId: string; authorId: string; audience?: "close_friends" }) => Promise<void>;
  /** Likes, comments and saves of each post, asked once per answer. */
  engagement: EngagementSource;
  /** Tells users mentioned in a caption; a failure there never fails the post. */
  notifier: Notifier;
  /** Records a post's writes (claims, rows, count, fan-out job), so that a post cut short is completed. */
  journal: WriteJournal;
  /** Where else posts are listed. */
  listings?: readonly PostListing[];
  /** Tells the other nodes that a post is gone, so that they forget its row (`forget`). */
  deleted?: (postId: string) => Promise<void>;
  /** Views and plays of posts, shown to their author only (lib/views); absent, no counts are shown. */
  viewCounts?: (postIds: readonly string[]) => Promise<Map<string, { views: number; plays: number }>>;
  /** Tells the other nodes that a post's caption changed, so that they forget its row (`forget`). */
  edited?: (postId: string) => Promise<void>;
  now?: () => number;
  /** What the kept rows may hold, estimated (lib/cache/budget.ts); unbounded in bytes without it. */
  keptRowBytes?: number;
}

/**
 * Post rows a node keeps, by post id. A row changes only by its author's edit and goes with its deletion: the
 * node editing or deleting forgets it before it answers and tells every other node to (`edited`, `deleted`).
 * Rows not found are not kept: a post being created is found a moment later.
 */
const KEPT_ROWS = 50_000;

const MAX_MEDIA = 10;

/** Posts: create from the caller's media, read with the author's privacy and blocks, delete by the author. */
export class Posts {
  private readonly now: () => number;
  private readonly keptRows: LruMap<string, PostRow>;

  constructor(private readonly deps: PostsDeps) {
    this.now = deps.now ?? Date.now;
    this.keptRows = new LruMap<string, PostRow>(
      KEPT_ROWS,
      deps.keptRowBytes === undefined ? undefined : { max: deps.keptRowBytes, sizeOf: estimateBytes },
    );
    deps.journal.register("post", (op) => this.complete(op.authorId, op.postId, op.mediaIds));
    deps.journal.register("postEdit", (op) =>
      this.completeEdit(op.authorId, op.postId, op.removedTags, new Date(op.createdAt)),
    );
    deps.journal.register("postDeletion", (op) =>
      this.completeDeletion(op.authorId, op.postId, op.mediaIds, {
        postId: op.postId,
        authorId: op.authorId,
        hashtags: op.hashtags,
        createdAt: new Date(op.createdAt ?? 0),
      }),
    );
  }

  async create(
    authorId: string,
    input: { caption?: string; mediaIds: readonly string[]; audience?: Audience },
  ): Promise<PostView> {
    const audience = input.audience ?? "everyone";
    const mediaIds = [...new Set(input.mediaIds)];
    if (mediaIds.length !== input.mediaIds.length) {
      throw new BadRequestError("MEDIA_REPEATED", "a media may appear once in a post");
    }
    if (mediaIds.length < 1 || mediaIds.length > MAX_MEDIA) {
      throw new BadRequestError("MEDIA_COUNT", `a post has 1 to ${MAX_MEDIA} media`);
    }
    const rows = await Promise.all(mediaIds.map((id) => this.deps.media.find(id)));
    rows.forEach((row, i) => {
      if (!isAttachableBy(row, authorId)) {
        throw new BadRequestError(
          "MEDIA_NOT_USABLE",
          "every media must be an upload of yours that did not fail",
          {
            mediaId: mediaIds[i],
          },
        );
      }
    });

    const postId = await this.deps.ids.next();
    const mentioned = await this.deps.journal.run("post", { authorId, postId, mediaIds }, async () => {
      // Claim each media for this post; a media already in another post or story (or claimed by a concurrent
      // post) makes the whole post fail, and the claims taken so far are released.
      const claimed: string[] = [];
      for (const mediaId of mediaIds) {
        const claim = await this.deps.store.insertIfAbsent(mediaClaims, {
          media_id: mediaId,
          owner_kind: "post",
          owner_id: postId,
        });
        if (!claim.applied) {
          await this.releaseClaims(postId, claimed);
          throw new BadRequestError("MEDIA_IN_USE", "a media belongs to one post or story only", { mediaId });
        }
        claimed.push(mediaId);
      }

      const self = await this.deps.users.view(authorId, authorId);
      await this.deps.media.attach?.(
        authorId,
        mediaIds,
        audience === "close_friends" ? "close_friends" : "followers",
        self?.isPrivate ?? true,
      );
      const caption = input.caption ?? "";
      const mentioned = await this.deps.users.idsOf(parseMentions(caption));
      const hashtags = parseHashtags(caption);
      const createdAt = new Date(this.now());
      await this.deps.store.put(postAuthors, { post_id: postId, author_id: authorId });
      await this.deps.store.put(posts, {
        ...(await authorPosts.writePartition(this.deps.store, authorId, postId)),
        post_id: postId,
        caption,
        hashtags: JSON.stringify(hashtags),
        mentions: JSON.stringify([...mentioned.keys()]),
        media_ids: JSON.stringify(mediaIds),
        created_at: createdAt,
        ...audienceColumn(audience),
      });
      await this.list({ postId, authorId, hashtags, createdAt, caption, audience });
      await this.deps.store.increment(userCounts, { user_id: authorId }, { posts: 1 });
      await this.deps.published(publishedJob(postId, authorId, audience));
      return mentioned;
    });
    const view = await this.get(authorId, postId);
    await this.notifyMentioned(view, [...mentioned.values()]);
    return view;
  }

  /** A post as the viewer sees it; 404 when it does not exist or the viewer may not see it. */
  async get(viewerId: string, postId: string): Promise<PostView> {
    const row = await this.find(postId);
    const author = row && (await this.deps.users.view(viewerId, row.author_id));
    if (row === undefined || author === undefined) throw notFound();
    await this.mayView(viewerId, row, author);
    const engagement = await this.deps.engagement.of(viewerId, [postId]);
    const [view] = await this.withViewCounts(viewerId, [
      await this.toView(row, author, engagement.get(postId)),
    ]);
    if (view === undefined) throw notFound();
    return view;
  }

  /**
   * The author of a post the viewer may see now; 404, as `get` answers, when it is gone or the viewer may not
   * see it. For acting on a post (a like, a save, a comment) without building its view.
   */
  async visibleAuthor(viewerId: string, postId: string): Promise<string> {
    const row = await this.find(postId);
    const author = row && (await this.deps.users.shown(row.author_id));
    if (row === undefined || author === undefined) throw notFound();
    await this.mayView(viewerId, row, { id: row.author_id, isPrivate: author.isPrivate });
    return row.author_id;
  }

  /** Passes when the viewer may see the post (its author always may); 404 otherwise. */
  private async mayView(
    viewerId: string,
    row: { audience?: string },
    author: { id: string; isPrivate: boolean },
  ): Promise<void> {
    if (viewerId === author.id) return;
    const seen = await this.deps.visibility.of(viewerId, author);
    if (seen !== "visible") throw notFound();
    const shared = audienceOfColumn(row.audience);
    if (!(await inAudience(this.deps.closeFriends, shared, author.id, viewerId))) throw notFound();
  }

  /** The authors of posts named by id alone (search answers ids), in order, leaving out those gone. */
  async entriesOf(postIds: readonly string[]): Promise<{ postId: string; authorId: string }[]> {
    const owners = await Promise.all(
      postIds.map(async (postId) => {
        const kept = this.keptRows.get(postId);
        return kept ? { author_id: kept.author_id } : this.deps.store.get(postAuthors, { post_id: postId });
      }),
    );
    return postIds.flatMap((postId, i) => {
      const authorId = owners[i]?.author_id;
      return authorId === undefined ? [] : [{ postId, authorId }];
    });
  }

  /**
   * Those of `userIds` who may see the post now (its author always may); none when it is gone. For telling
   * people about a post without telling them it exists when they may not see it.
   */
  async audienceOf(postId: string, userIds: readonly string[]): Promise<string[]> {
    const owner = await this.deps.store.get(postAuthors, { post_id: postId });
    const authorId = owner?.author_id;
    if (authorId === undefined) return [];
    const [author, row] = await Promise.all([
      this.deps.users.view(authorId, authorId),
      this.row(authorId, postId),
    ]);
    if (author === undefined || row === undefined) return [];
    return this.mayBeSeenBy(
      { id: authorId, isPrivate: author.isPrivate },
      audienceOfColumn(row.audience),
      userIds,
    );
  }

  /** A user's posts, newest first; 403 for a private account the viewer does not follow, 404 when blocked. */
  async listByAuthor(
    viewerId: string,
    authorId: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<PostView>> {
    const author = await this.deps.users.view(viewerId, authorId);
    if (author === undefined) throw new NotFoundError("USER_NOT_FOUND", "no such user");
    if (viewerId !== authorId) {
      const seen = await this.deps.visibility.of(viewerId, { id: authorId, isPrivate: author.isPrivate });
      if (seen === "hidden") throw new NotFoundError("USER_NOT_FOUND", "no such user");
      if (seen === "private") throw new ForbiddenError("PRIVATE_ACCOUNT", "this account is private");
    }
    const slice = await authorPosts.page(this.deps.store, authorId, page);
    // A page may come out short of close friends' posts the viewer is not shown; its cursor goes on after them.
    const shown = await this.inAudienceOf(viewerId, slice.rows, () => authorId);
    const engagement = await this.deps.engagement.of(
      viewerId,
      shown.map((row) => row.post_id),
    );
    const items = await Promise.all(
      shown.map((row) => this.toView(row, author, engagement.get(row.post_id))),
    );
    return { items: await this.withViewCounts(viewerId, items), nextCursor: slice.nextCursor };
  }

  /**
   * Views of many posts for one viewer, in the order given, skipping those gone (deleted). The caller has
   * already decided the viewer may see them (a feed only holds posts of followed authors). Each author is
   * looked up once per call; `options.authorView` lets a caller that already knows how the viewer stands to
   * every author build the views from their public profiles, instead of reading the relationship again.
   */
  async hydrate(
    viewerId: string,
    entries: readonly { postId: string; authorId: string }[],
    options: HydrateOptions = {},
  ): Promise<PostView[]> {
    const { authorView } = options;
    return this.hydrateWith(
      viewerId,
      entries,
      authorView
        ? (authorId) => authorView(authorId, () => this.deps.users.view(authorId, authorId))
        : (authorId) => this.deps.users.view(viewerId, authorId),
    );
  }

  /**
   * Like `hydrate`, for lists the viewer built while they could see every post (saved posts): also skips those
   * they may no longer see, an author who blocked them or went private since.
   */
  async hydrateVisible(
    viewerId: string,
    entries: readonly { postId: string; authorId: string }[],
  ): Promise<PostView[]> {
    return this.hydrateWith(viewerId, entries, async (authorId) => {
      const author = await this.deps.users.view(viewerId, authorId);
      if (author === undefined || authorId === viewerId) return author;
      const seen = await this.deps.visibility.of(viewerId, { id: authorId, isPrivate: author.isPrivate });
      return seen === "visible" ? author : undefined;
    });
  }

  /**
   * Edits the caption (the author only; media stay as posted): the row, then the tag pages and the search index
   * as the new caption says, journalled so that a crash between them is completed; then everyone mentioned anew
   * is told, once. 403 to someone who sees the post, 404 to whoever does not.
   */
  async edit(callerId: string, postId: string, input: { caption: string }): Promise<PostView> {
    const row = await this.find(postId);
    if (row === undefined) throw notFound();
    if (row.author_id !== callerId) {
      await this.get(callerId, postId);
      throw new ForbiddenError("NOT_AUTHOR", "only the author may edit a post");
    }
    const before = rowParts(row);
    const caption = input.caption;
    const hashtags = parseHashtags(caption);
    const mentioned = await this.deps.users.idsOf(parseMentions(caption));
    const createdAt = row.created_at ?? new Date(0);
    const removedTags = before.hashtags.filter((tag) => !hashtags.includes(tag));
    await this.deps.journal.run(
      "postEdit",
      { authorId: callerId, postId, removedTags, createdAt: createdAt.getTime() },
      async () => {
        await this.deps.store.put(posts, {
          ...postKey(callerId, postId),
          caption,
          hashtags: JSON.stringify(hashtags),
          mentions: JSON.stringify([...mentioned.keys()]),
          edited_at: new Date(this.now()),
        });
        await this.forgetEverywhere(postId, "edited");
        await this.relist(callerId, postId, removedTags, createdAt);
      },
    );
    const view = await this.get(callerId, postId);
    const alreadyTold = new Set(before.mentions);
    const anew = [...mentioned].filter(([name]) => !alreadyTold.has(name)).map(([, id]) => id);
    await this.notifyMentioned(view, anew);
    return view;
  }

  /** Lists the post as its row says now, after taking it off the pages of the tags it lost. */
  private async relist(
    authorId: string,
    postId: string,
    removedTags: readonly string[],
    createdAt: Date,
  ): Promise<void> {
    const row = await this.deps.store.get(posts, postKey(authorId, postId));
    if (row === undefined) return; // deleted since: its deletion unlists it
    const listed = listedOf(authorId, row);
    const lost = removedTags.filter((tag) => !listed.hashtags.includes(tag));
    if (lost.length > 0) await this.unlist({ ...listed, hashtags: lost, createdAt });
    await this.list({ ...listed, createdAt });
  }

  /** Completes an edit cut short: the row holds the caption it got (or the old one); its listings follow it. */
  private async completeEdit(
    authorId: string,
    postId: string,
    removedTags: readonly string[],
    createdAt: Date,
  ): Promise<void> {
    await this.forgetEverywhere(postId, "edited");
    await this.relist(authorId, postId, removedTags, createdAt);
  }

  async delete(callerId: string, postId: string): Promise<void> {
    const row = await this.find(postId);
    if (row === undefined) throw notFound();
    if (row.author_id !== callerId) {
      // Someone who may not even see the post learns nothing from the answer.
      await this.get(callerId, postId);
      throw new ForbiddenError("NOT_AUTHOR", "only the author may delete a post");
    }
    await this.deleteDurably(row);
  }

  /**
   * A moderator's removal: the author's deletion, whoever asks, so it leaves everywhere a deletion does (feeds,
   * profile, tag pages, search, explore, trending) and its media stop being served. A post already gone is left.
   */
  async remove(postId: string): Promise<void> {
    const row = await this.find(postId);
    if (row !== undefined) await this.deleteDurably(row);
  }

  /**
   * An erasure's page of the author's posts (lib/erasure): the newest `limit`, each deleted as its author would
   * with its media claims given back, after `forgetPage` (called until done) took what others left on it; then the
   * posts the author deleted earlier, whose likes, comments and saves a deletion leaves. True once none is left.
   */
  async eraseSome(
    authorId: string,
    limit: number,
    forgetPage: (postId: string, cursor?: string) => Promise<{ done: boolean; cursor?: string }>,
  ): Promise<boolean> {
    const { store } = this.deps;
    const forget = async (postId: string) => {
      let cursor: string | undefined;
      for (;;) {
        const progress = await forgetPage(postId, cursor);
        if (progress.done) return;
        cursor = progress.cursor;
      }
    };
    const { rows } = await authorPosts.walk(store, authorId, { limit });
    for (const row of rows) {
      await forget(row.post_id);
      await this.deleteDurably(row);
    }
    if (rows.length > 0) return false;
    const gone = await store.slice(deletedPosts, { author_id: authorId }, { limit });
    for (const row of gone.rows) {
      await forget(row.post_id);
      await this.releaseClaims(row.post_id, parseList(row.media_ids));
      await store.delete(deletedPosts, { author_id: authorId, post_id: row.post_id });
    }
    if (gone.rows.length > 0) return false;
    await authorPosts.erase(store, authorId);
    return true;
  }

  /** Lists the post among the author's deleted ones (deletedPosts), before its row goes. */
  private async noteDeleted(authorId: string, postId: string, mediaIds: readonly string[]): Promise<void> {
    await this.deps.store.put(deletedPosts, {
      author_id: authorId,
      post_id: postId,
      media_ids: JSON.stringify(mediaIds),
    });
  }

  /** A page of the ids of posts the author deleted, in id order, after `after`: for walks over all of them. */
  async deletedIdsByAuthor(authorId: string, limit: number, after?: string): Promise<string[]> {
    const { rows } = await this.deps.store.slice(
      deletedPosts,
      { author_id: authorId },
      { limit, ...(after !== undefined && { gt: { post_id: after } }) },
    );
    return rows.map((row) => row.post_id);
  }

  /** A page of the author's post ids, newest first, after `after` (a post id): for walks over all of them. */
  async idsByAuthor(authorId: string, limit: number, after?: string): Promise<string[]> {
    const { rows } = await authorPosts.walk(this.deps.store, authorId, {
      limit,
      ...(after !== undefined && { after: [after] as const }),
    });
    return rows.map((row) => row.post_id);
  }

  private async deleteDurably(row: NonNullable<Awaited<ReturnType<Posts["find"]>>>): Promise<void> {
    const postId = row.post_id;
    const mediaIds = parseList(row.media_ids);
    const listed = listedOf(row.author_id, row);
    await this.deps.journal.run(
      "postDeletion",
      {
        authorId: row.author_id,
        postId,
        mediaIds,
        hashtags: [...listed.hashtags],
        createdAt: listed.createdAt.getTime(),
      },
      () => this.deleteRows(listed, mediaIds),
    );
  }

  private async deleteRows(post: ListedPost, mediaIds: readonly string[]): Promise<void> {
    const { authorId, postId } = post;
    await this.noteDeleted(authorId, postId, mediaIds);
    // Its files stop first: a delete cut short leaves a post with broken pictures, never pictures left public.
    await this.deps.media.markDeleted?.(authorId, mediaIds);
    await this.unlist(post);
    await this.deps.store.delete(posts, postKey(authorId, postId));
    await this.forgetEverywhere(postId);
    await this.deps.store.delete(postAuthors, { post_id: postId });
    await this.deps.store.increment(userCounts, { user_id: authorId }, { posts: -1 });
  }

  /** Completes a deletion cut short: the author asked for it, so it goes through, and the count is recounted. */
  private async completeDeletion(
    authorId: string,
    postId: string,
    mediaIds: readonly string[],
    listed: ListedPost,
  ): Promise<void> {
    await this.noteDeleted(authorId, postId, mediaIds);
    await this.deps.media.markDeleted?.(authorId, mediaIds);
    await this.unlist(listed);
    await this.deps.store.delete(posts, postKey(authorId, postId));
    await this.forgetEverywhere(postId);
    await this.deps.store.delete(postAuthors, { post_id: postId });
    await this.recountPosts(authorId);
  }

  /**
   * Completes a post's creation cut short, from whether its row is there: a post that exists gets its lookup row
   * and its fan-out job (again: pushes are idempotent); one that does not loses its lookup row and gives back its
   * media. Then the author's post count is recounted from their posts.
   */
  private async complete(authorId: string, postId: string, mediaIds: readonly string[]): Promise<void> {
    const row = await this.deps.store.get(posts, postKey(authorId, postId));
    if (row === undefined) {
      await this.deps.store.delete(postAuthors, { post_id: postId });
      await this.releaseClaims(postId, mediaIds);
    } else {
      await this.deps.store.put(postAuthors, { post_id: postId, author_id: authorId });
      await this.list(listedOf(authorId, row));
      await this.deps.published(publishedJob(postId, authorId, audienceOfColumn(row.audience)));
    }
    await this.recountPosts(authorId);
  }

  private async list(post: ListedPost): Promise<void> {
    if (post.audience === "close_friends") return;
    for (const listing of this.deps.listings ?? []) await listing.listed(post);
  }

  private async unlist(post: ListedPost): Promise<void> {
    for (const listing of this.deps.listings ?? []) await listing.unlisted(post);
  }

  /** Sets the author's post count to the number of their posts (a repair, also run after a crash). */
  async recountPosts(authorId: string): Promise<number> {
    const listed = await authorPosts.count(this.deps.store, authorId);
    await setCounter(this.deps.store, userCounts, { user_id: authorId }, "posts", listed);
    return listed;
  }

  /** Gives back media this post claimed (only its own claims: another post's stay). */
  private async releaseClaims(postId: string, mediaIds: readonly string[]): Promise<void> {
    await Promise.all(
      mediaIds.map((id) => this.deps.store.deleteIf(mediaClaims, { media_id: id }, { owner_id: postId })),
    );
  }

  private async hydrateWith(
    viewerId: string,
    entries: readonly { postId: string; authorId: string }[],
    authorView: (authorId: string) => UserView | undefined | Promise<UserView | undefined>,
  ): Promise<PostView[]> {
    const rows = await this.rows(entries);
    // Each author once, one cache round trip for the media of the whole page, one engagement round for its posts.
    const present = await this.inAudienceOf(
      viewerId,
      rows.filter((row) => row !== undefined),
      (row) => row.author_id,
    );
    const authorIds = [...new Set(present.map((row) => row.author_id))];
    const mediaIds = present.flatMap((row) => rowParts(row).mediaIds);
    const [authors, mediaViews, engagement] = await Promise.all([
      whenAll(authorIds.map(authorView)),
      this.mediaViews(mediaIds),
      this.deps.engagement.of(
        viewerId,
        present.map((row) => row.post_id),
      ),
    ]);
    const authorOf = new Map(authorIds.map((id, i) => [id, authors[i]]));
    const byId = new Map(mediaViews.map((m) => [m.id, m]));
    const views: PostView[] = [];
    for (const row of present) {
      const author = authorOf.get(row.author_id);
      if (author === undefined) continue;
      const media = rowParts(row)
        .mediaIds.map((id) => byId.get(id))
        .filter((m): m is MediaView => m !== undefined);
      views.push(this.viewOf(row, author, engagement.get(row.post_id), media));
    }
    return this.withViewCounts(viewerId, views);
  }

  /** The author's own posts get their view and play counts; nobody else sees them (as on Instagram). */
  private async withViewCounts(viewerId: string, views: PostView[]): Promise<PostView[]> {
    const own = views.filter((view) => view.author.id === viewerId);
    if (own.length === 0 || !this.deps.viewCounts) return views;
    const counts = await this.deps.viewCounts(own.map((view) => view.id));
    return views.map((view) => {
      const count = view.author.id === viewerId ? counts.get(view.id) : undefined;
      return count === undefined ? view : { ...view, viewCount: count.views, playCount: count.plays };
    });
  }

  private async mayBeSeenBy(
    author: { id: string; isPrivate: boolean },
    shared: Audience,
    userIds: readonly string[],
  ): Promise<string[]> {
    const seen = await Promise.all(
      userIds.map(
        async (userId) =>
          userId === author.id ||
          ((await this.deps.visibility.of(userId, author)) === "visible" &&
            (await inAudience(this.deps.closeFriends, shared, author.id, userId))),
      ),
    );
    return userIds.filter((_, i) => seen[i]);
  }

  /** The rows the viewer is in the audience of, in order (see lib/audience/audience.ts). */
  private inAudienceOf<R extends { audience?: string }>(
    viewerId: string,
    rows: readonly R[],
    authorOf: (row: R) => string,
  ): Promise<R[]> {
    return keepInAudience(this.deps.closeFriends, viewerId, rows, (row) => rowParts(row).audience, authorOf);
  }

  /** Mentions of people who may see the post; the author mentioning themselves is no news to them. */
  private async notifyMentioned(post: PostView, mentionedIds: readonly string[]): Promise<void> {
    const others = [...new Set(mentionedIds)].filter((id) => id !== post.author.id);
    // The post is stored and published: a failure from here on tells fewer people, it never fails the post.
    const audience = await this.mayBeSeenBy(
      { id: post.author.id, isPrivate: post.author.isPrivate },
      post.audience,
      others,
    ).catch((): string[] => []);
    await Promise.all(
      audience.map(async (recipientId) => {
        try {
          await this.deps.notifier.notify({
            recipientId,
            type: "mention",
            actorId: post.author.id,
            postId: post.id,
          });
        } catch {
          // See above.
        }
      }),
    );
  }

  /** Media views in order, from the cache where it has them (one round trip for the lot), else the store. */
  private async mediaViews(ids: readonly string[]): Promise<MediaView[]> {
    const cached = await this.deps.cache.getMany<MediaView>(ids.map((id) => cacheKeys.media(id)));
    // A warm page finds them all.
    if (cached.every((hit) => hit !== undefined)) return cached;
    const views = await Promise.all(
      ids.map(async (id, i) => {
        const hit = cached[i];
        if (hit) return hit;
        const record = await this.deps.media.find(id);
        const view = record && (await this.deps.media.view(record));
        // Only public views: a signed URL must be minted for each answer, or a cached one would expire in it.
        if (view?.status === "ready" && record && isPublicMedia(record)) {
          await this.deps.cache.set(cacheKeys.media(id), view, MEDIA_VIEW_TTL_MS);
        }
        return view;
      }),
    );
    return views.filter((v): v is MediaView => v !== undefined);
  }

  /** This node stops keeping the post's row (it was deleted, here or on another node). */
  forget(postId: string): void {
    this.keptRows.delete(postId);
  }

  private async forgetEverywhere(postId: string, how: "deleted" | "edited" = "deleted"): Promise<void> {
    this.forget(postId);
    await (how === "deleted" ? this.deps.deleted : this.deps.edited)?.(postId);
  }

  /** The rows of the entries, in order (undefined where gone): those kept at once, the others in one round. */
  private async rows(
    entries: readonly { postId: string; authorId: string }[],
  ): Promise<(PostRow | undefined)[]> {
    const rows: (PostRow | undefined)[] = [];
    const missing: Promise<void>[] = [];
    entries.forEach(({ postId, authorId }, i) => {
      const kept = this.keptRows.get(postId);
      if (kept !== undefined && kept.author_id === authorId) rows.push(kept);
      else {
        rows.push(undefined);
        missing.push(
          this.row(authorId, postId).then((row) => {
            rows[i] = row;
          }),
        );
      }
    });
    if (missing.length > 0) await Promise.all(missing);
    return rows;
  }

  /** The estimated size of the rows this node keeps. */
  get keptRowsInBytes(): number {
    return this.keptRows.sizeInBytes;
  }

  /** A post's row, kept once read (rows never change; see KEPT_ROWS). */
  private async row(authorId: string, postId: string): Promise<PostRow | undefined> {
    const kept = this.keptRows.get(postId);
    if (kept !== undefined && kept.author_id === authorId) return kept;
    const row = await this.deps.store.get(posts, postKey(authorId, postId));
    if (row !== undefined) this.keptRows.set(postId, row);
    return row;
  }

  private async find(postId: string) {
    const owner = await this.deps.store.get(postAuthors, { post_id: postId });
    if (owner?.author_id === undefined) return undefined;
    const row = await this.row(owner.author_id, postId);
    return row && { ...row, author_id: owner.author_id };
  }

  private async toView(
    row: {
      post_id: string;
      caption?: string;
      hashtags?: string;
      mentions?: string;
      media_ids?: string;
      created_at?: Date;
      edited_at?: Date;
      audience?: string;
    },
    author: UserView,
    engagement: PostEngagement | undefined,
  ): Promise<PostView> {
    return this.viewOf(row, author, engagement, await this.mediaViews(rowParts(row).mediaIds));
  }

  private viewOf(
    row: {
      post_id: string;
      caption?: string;
      hashtags?: string;
      mentions?: string;
      created_at?: Date;
      edited_at?: Date;
      audience?: string;
    },
    author: UserView,
    engagement: PostEngagement | undefined,
    media: MediaView[],
  ): PostView {
    const parts = rowParts(row);
    const { likeCount, commentCount, likedByMe, savedByMe } = engagement ?? NO_ENGAGEMENT;
    // One shape for every view, edited or not (JSON leaves out an undefined editedAt): pages read these objects
    // field by field, many per request.
    return {
      id: row.post_id,
      author,
      caption: row.caption ?? "",
      hashtags: [...parts.hashtags],
      mentions: [...parts.mentions],
      media,
      createdAt: parts.createdAt,
      editedAt: parts.editedAt,
      audience: parts.audience,
      likeCount,
      commentCount,
      likedByMe,
      savedByMe,
    };
  }
}

interface RowParts {
  readonly mediaIds: readonly string[];
  readonly hashtags: readonly string[];
  readonly mentions: readonly string[];
  /** The row's times and audience as views show them. */
  readonly createdAt: string;
  readonly editedAt: string | undefined;
  readonly audience: Audience;
}

/**
 * What a view takes from a row beyond its plain columns (lists held as JSON text, times as ISO text), made once
 * per row object: kept rows are read by every page.
 */
const keptRowParts = new WeakMap<object, RowParts>();

function listedOf(
  authorId: string,
  row: { post_id: string; hashtags?: string; created_at?: Date; caption?: string; audience?: string },
): ListedPost {
  return {
    ...(row.caption !== undefined && { caption: row.caption }),
    audience: audienceOfColumn(row.audience),
    postId: row.post_id,
    authorId,
    hashtags: rowParts(row).hashtags,
    createdAt: row.created_at ?? idTimestamp(row.post_id),
  };
}

function rowParts(row: {
  media_ids?: string;
  hashtags?: string;
  mentions?: string;
  created_at?: Date;
  edited_at?: Date;
  audience?: string;
}): RowParts {
  let parts = keptRowParts.get(row);
  if (parts === undefined) {
    parts = {
      mediaIds: parseList(row.media_ids),
      hashtags: parseList(row.hashtags),
      mentions: parseList(row.mentions),
      createdAt: (row.created_at ?? new Date(0)).toISOString(),
      editedAt: row.edited_at?.toISOString(),
      audience: audienceOfColumn(row.audience),
    };
    keptRowParts.set(row, parts);
  }
  return parts;
}

function parseList(text: string | undefined): string[] {
  return text ? (JSON.parse(text) as string[]) : [];
}

function publishedJob(
  postId: string,
  authorId: string,
  audience: Audience,
): { postId: string; authorId: string; audience?: "close_friends" } {
  return audience === "close_friends" ? { postId, authorId, audience } : { postId, authorId };
}

function notFound(): NotFoundError {
  return new NotFoundError("POST_NOT_FOUND", "no such post");
}

import type { Accounts } from "../accounts";
import type { UserView } from "../accounts/user-view";
import { BadRequestError, ForbiddenError, NotFoundError } from "../errors";
import type { Graph } from "../graph";
import { compareIds } from "../ids";
import type { MediaLibrary } from "../media-library/media-library";
import { isAttachableBy } from "../media-library/media-view";
import { mediaClaims } from "../posts/tables";
import type { Row } from "../store/schema";
import type { WideRowStore } from "../store/store";
import { inBatches } from "./batches";
import {
  audienceColumn,
  audienceOfColumn,
  inAudience,
  keepInAudience,
  type Audience,
} from "../audience/audience";
import type { Page, StoryGroup, StoryView } from "./story-view";
import {
  STORY_LIFETIME_SECONDS,
  stories,
  storyAuthors,
  storyViewers,
  storyViewersByTime,
  storyViews,
} from "./tables";

export interface StoriesDeps {
  store: WideRowStore;
  ids: { next(): Promise<string> };
  /** The clock stories are dated by; the embedded store expires their rows on the same one. */
  now: () => number;
  /** `attach` and `markDeleted` keep the files as visible as the story, and stop them when it is deleted. */
  media: Pick<MediaLibrary, "find" | "view"> & Partial<Pick<MediaLibrary, "attach" | "markDeleted">>;
  accounts: Pick<Accounts, "idOf" | "view">;
  graph: Pick<Graph, "isFollowing" | "canSeePrivate" | "following" | "closeFriends" | "mutes">;
}

type StoryRow = Row<typeof stories>;

const LIFETIME_MS = STORY_LIFETIME_SECONDS * 1000;
/**
 * The stories feed walks at most the 1,000 most recent follows (ten pages of the graph's newest-first list), so
 * its cost is bounded however many accounts someone follows; older follows' stories are left out of it.
 */
const FEED_FOLLOWS = 1000;
const FOLLOWING_PAGE = 100;
/** Partitions read at once while building the feed. */
const READ_BATCH = 50;
/**
 * The newest stories of one author that any answer shows (Instagram's own daily cap), so one prolific author
 * cannot make a read unbounded.
 */
const STORIES_PER_AUTHOR = 100;

/** Stories: a day-long life on TTL'd rows, seen once per viewer, with the same privacy and blocks as posts. */
export class Stories {
  constructor(private readonly deps: StoriesDeps) {}

  async create(authorId: string, mediaId: string, audience: Audience = "everyone"): Promise<StoryView> {
    const { store, media, ids, accounts } = this.deps;
    // Fresh media is fine, as for posts: the story shows it processing until its variants are ready.
    if (!isAttachableBy(await media.find(mediaId), authorId)) {
      throw new BadRequestError(
        "MEDIA_NOT_USABLE",
        "the media must be an upload of yours that did not fail",
        { mediaId },
      );
    }
    const storyId = await ids.next();
    const claim = await store.insertIfAbsent(mediaClaims, {
      media_id: mediaId,
      owner_kind: "story",
      owner_id: storyId,
    });
    if (!claim.applied) {
      throw new BadRequestError("MEDIA_IN_USE", "a media belongs to one post or story only", { mediaId });
    }
    const createdAt = this.deps.now();
    const row = {
      author_id: authorId,
      story_id: storyId,
      media_id: mediaId,
      created_at: new Date(createdAt),
      expires_at: new Date(createdAt + LIFETIME_MS),
      ...audienceColumn(audience),
    };
    const life = { ttlSeconds: STORY_LIFETIME_SECONDS };
    try {
      await store.put(storyAuthors, { story_id: storyId, author_id: authorId }, life);
      await store.put(stories, row, life);
    } catch (err: unknown) {
      // A claim left to a story that was never written would lock the media away for good.
      await store.deleteIf(mediaClaims, { media_id: mediaId }, { owner_id: storyId }).catch(() => undefined);
      throw err;
    }
    const author = await accounts.view(authorId, authorId);
    if (author === undefined) throw userNotFound();
    await media.attach?.(
      authorId,
      [mediaId],
      audience === "close_friends" ? "close_friends" : "followers",
      author.isPrivate,
    );
    const view = await this.toView(row, author, false);
    if (view === undefined) throw new NotFoundError("MEDIA_NOT_FOUND", "no such media");
    return view;
  }

  /**
   * The caller's own stories first, then those of the accounts they follow (approved follows only), groups
   * with something unseen before the fully seen ones, each part by its newest story, most recent first.
   */
  async feed(viewerId: string): Promise<{ items: StoryGroup[] }> {
    const [own, followees, muted] = await Promise.all([
      this.groupOf(viewerId, viewerId),
      this.recentFollowees(viewerId),
      this.deps.graph.mutes.active(viewerId),
    ]);
    const groups = await inBatches(
      // Muted accounts' stories leave the tray; their own page still shows them to whoever opens it.
      followees.filter((id) => id !== viewerId && !muted.has(id)),
      READ_BATCH,
      (id) => this.groupOf(viewerId, id),
    );
    const others = groups
      .filter((g): g is StoryGroup => g !== undefined)
      .sort((a, b) => Number(a.allSeen) - Number(b.allSeen) || compareIds(newestId(b), newestId(a)));
    return { items: own ? [own, ...others] : others };
  }

  /** A user's live stories, oldest first; 403 for a private account the viewer does not follow, 404 when blocked. */
  async listByUser(viewerId: string, username: string): Promise<{ items: StoryView[] }> {
    const authorId = await this.deps.accounts.idOf(username);
    const author = authorId === undefined ? undefined : await this.deps.accounts.view(viewerId, authorId);
    if (author === undefined) throw userNotFound();
    if (!(await this.canSee(viewerId, author))) {
      throw new ForbiddenError("PRIVATE_ACCOUNT", "this account is private");
    }
    return { items: await this.toViews(viewerId, author, await this.liveRows(author.id)) };
  }

  /** Records that the viewer saw the story, once; the author looking at their own story is no view. */
  async view(viewerId: string, storyId: string): Promise<void> {
    const { row, author } = await this.visible(viewerId, storyId);
    if (author.id === viewerId) return;
    const { store, ids } = this.deps;
    // The view dies with its story, not a day after it was seen.
    const life = { ttlSeconds: this.remainingSeconds(row) };
    const viewId = await ids.next();
    const first = await store.insertIfAbsent(
      storyViews,
      { story_id: storyId, viewer_id: viewerId, view_id: viewId },
      life,
    );
    // A repeated view rewrites the list row of the first one, repairing it if a crash left it out.
    const listed = first.applied ? viewId : (first.existing.view_id ?? viewId);
    const partition = await storyViewers.writePartition(store, storyId, listed);
    await store.put(storyViewersByTime, { ...partition, view_id: listed, viewer_id: viewerId }, life);
  }

  /** Who viewed the story, newest view first: for its author only. */
  async viewers(
    viewerId: string,
    storyId: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<UserView>> {
    const { author } = await this.visible(viewerId, storyId);
    if (author.id !== viewerId) throw notAuthor("only the author sees who viewed a story");
    const slice = await storyViewers.page(this.deps.store, storyId, page);
    const users = await Promise.all(slice.rows.map((r) => this.deps.accounts.view(viewerId, r.viewer_id)));
    return {
      items: users.filter((u): u is UserView => u !== undefined),
      nextCursor: slice.nextCursor,
    };
  }

  async delete(viewerId: string, storyId: string): Promise<void> {
    const { row, author } = await this.visible(viewerId, storyId);
    if (author.id !== viewerId) throw notAuthor("only the author may delete a story");
    await this.deleteRows(row, storyId);
  }

  /** A story as the viewer reports it: its author and media; 404 whenever the viewer may not see it. */
  async reported(viewerId: string, storyId: string): Promise<{ authorId: string; mediaIds: string[] }> {
    const { row } = await this.visible(viewerId, storyId);
    return { authorId: row.author_id, mediaIds: row.media_id === undefined ? [] : [row.media_id] };
  }

  /** A moderator's removal: as the author's deletion; a story already gone (or expired) is left. */
  async remove(storyId: string): Promise<void> {
    const owner = await this.deps.store.get(storyAuthors, { story_id: storyId });
    if (owner?.author_id === undefined) return;
    const row = await this.deps.store.get(stories, { author_id: owner.author_id, story_id: storyId });
    if (row !== undefined) await this.deleteRows(row, storyId);
  }

  /**
   * An erasure's page of the author's stories (lib/erasure): each deleted as its author would, its media claim
   * given back. True once none is left. Views the author made of others' stories die with those stories (a day).
   */
  async eraseAuthor(authorId: string): Promise<boolean> {
    const { store } = this.deps;
    const { rows } = await store.slice(stories, { author_id: authorId }, { limit: 100 });
    for (const row of rows) {
      await this.deleteRows(row, row.story_id);
      await storyViewers.erase(store, row.story_id);
      if (row.media_id !== undefined) {
        await store.deleteIf(mediaClaims, { media_id: row.media_id }, { owner_id: row.story_id });
      }
    }
    return rows.length === 0;
  }

  private async deleteRows(row: StoryRow, storyId: string): Promise<void> {
    const { store } = this.deps;
    // Its file stops first: a delete cut short leaves a story with a broken picture, never a picture left out.
    if (row.media_id !== undefined) await this.deps.media.markDeleted?.(row.author_id, [row.media_id]);
    // The listed row first, so the story leaves every list even if the rest is cut short (TTL clears it).
    await store.delete(stories, { author_id: row.author_id, story_id: storyId });
    await store.delete(storyAuthors, { story_id: storyId });
    // Each viewer's "seen" row is its own partition, left to its TTL: nothing reads it once the story is gone.
    await storyViewers.removeAll(store, storyId);
  }

  /** The live story and its author as the viewer sees them; 404 whenever the viewer may not see it. */
  private async visible(viewerId: string, storyId: string): Promise<{ row: StoryRow; author: UserView }> {
    const { store, accounts } = this.deps;
    const owner = await store.get(storyAuthors, { story_id: storyId });
    const row =
      owner?.author_id === undefined
        ? undefined
        : await store.get(stories, { author_id: owner.author_id, story_id: storyId });
    if (row === undefined || !this.isLive(row)) throw storyNotFound();
    const author = await accounts.view(viewerId, row.author_id);
    if (author === undefined || !(await this.canSee(viewerId, author))) throw storyNotFound();
    const shared = audienceOfColumn(row.audience);
    if (!(await inAudience(this.deps.graph.closeFriends, shared, author.id, viewerId))) throw storyNotFound();
    return { row, author };
  }

  /** Blocks are already settled by the account view (it hides a blocked user); privacy is settled here. */
  private async canSee(viewerId: string, author: UserView): Promise<boolean> {
    return viewerId === author.id || !author.isPrivate || this.deps.graph.canSeePrivate(viewerId, author.id);
  }

  private async groupOf(viewerId: string, userId: string): Promise<StoryGroup | undefined> {
    const rows = await this.liveRows(userId);
    if (rows.length === 0) return undefined;
    const [user, follows] = await Promise.all([
      this.deps.accounts.view(viewerId, userId),
      // The list of follows can outlive a follow a crash cut short; the deciding row is what grants access.
      viewerId === userId ? Promise.resolve(true) : this.deps.graph.isFollowing(viewerId, userId),
    ]);
    if (user === undefined || !follows) return undefined;
    const views = await this.toViews(viewerId, user, rows);
    if (views.length === 0) return undefined;
    return { user, stories: views, allSeen: views.every((s) => s.seenByMe) };
  }

  /** Whom the viewer follows, most recent follows first, up to FEED_FOLLOWS. */
  private async recentFollowees(viewerId: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.graph.following(viewerId, {
        limit: Math.min(FOLLOWING_PAGE, FEED_FOLLOWS - ids.length),
        ...(cursor !== undefined && { cursor }),
      });
      ids.push(...page.ids);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && ids.length < FEED_FOLLOWS);
    return ids;
  }

  /** The author's live stories, oldest first. */
  private async liveRows(authorId: string): Promise<StoryRow[]> {
    const slice = await this.deps.store.slice(
      stories,
      { author_id: authorId },
      { limit: STORIES_PER_AUTHOR },
    );
    return slice.rows.filter((row) => this.isLive(row)).reverse();
  }

  private async toViews(viewerId: string, author: UserView, rows: readonly StoryRow[]): Promise<StoryView[]> {
    const shown = await keepInAudience(
      this.deps.graph.closeFriends,
      viewerId,
      rows,
      (row) => audienceOfColumn(row.audience),
      () => author.id,
    );
    const views = await Promise.all(
      shown.map(async (row) => {
        // Only recorded views count, and the author's own never are.
        const seen =
          viewerId !== author.id &&
          (await this.deps.store.get(storyViews, { story_id: row.story_id, viewer_id: viewerId })) !==
            undefined;
        return this.toView(row, author, seen);
      }),
    );
    return views.filter((v): v is StoryView => v !== undefined);
  }

  private async toView(row: StoryRow, author: UserView, seenByMe: boolean): Promise<StoryView | undefined> {
    // The media row is read on every answer, never copied into the story: a story made from a fresh upload
    // shows it processing, then ready (or failed) as the transcoder records it.
    const record = row.media_id === undefined ? undefined : await this.deps.media.find(row.media_id);
    if (record === undefined) return undefined;
    return {
      id: row.story_id,
      author,
      media: await this.deps.media.view(record),
      createdAt: (row.created_at ?? new Date(0)).toISOString(),
      expiresAt: new Date(expiryOf(row)).toISOString(),
      seenByMe,
      audience: audienceOfColumn(row.audience),
    };
  }

  /**
   * Checked on every read as well as left to the TTL: a store whose clock is not ours (Cassandra's servers)
   * may keep a row a moment past its expiry.
   */
  private isLive(row: StoryRow): boolean {
    return expiryOf(row) > this.deps.now();
  }

  private remainingSeconds(row: StoryRow): number {
    return Math.max(1, Math.ceil((expiryOf(row) - this.deps.now()) / 1000));
  }
}

function expiryOf(row: StoryRow): number {
  return row.expires_at?.getTime() ?? (row.created_at?.getTime() ?? 0) + LIFETIME_MS;
}

function newestId(group: StoryGroup): string {
  return group.stories[group.stories.length - 1]?.id ?? "0";
}

function userNotFound(): NotFoundError {
  return new NotFoundError("USER_NOT_FOUND", "no such user");
}

function storyNotFound(): NotFoundError {
  return new NotFoundError("STORY_NOT_FOUND", "no such story");
}

function notAuthor(message: string): ForbiddenError {
  return new ForbiddenError("NOT_AUTHOR", message);
}

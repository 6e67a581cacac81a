export { appErrorOf as rejectionOf } from "../../support/rejections";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { AccessTokens, Accounts, accountTables } from "../../../lib/accounts";
import { users, usernames } from "../../../lib/accounts/tables";
import { MemoryCache } from "../../../lib/cache/memory";
import { Graph, graphTables } from "../../../lib/graph";
import { SnowflakeGenerator } from "../../../lib/ids";
import type { Messenger, NotificationInput, Notifier } from "../../../lib/contracts/ports";
import { WriteJournal, journalTables } from "../../../lib/journal";
import { Engagement, Interactions, interactionTables } from "../../../lib/interactions";
import type { MediaRow } from "../../../lib/media-library/media-view";
import type { EngagementSource } from "../../../lib/posts/engagement";
import { Posts, type PostView } from "../../../lib/posts/posts";
import { postTables } from "../../../lib/posts/tables";
import { LevelStore } from "../../../lib/store/level";

/** A Notifier that records what it was told, and can be made to fail. */
export class RecordingNotifier implements Notifier {
  readonly sent: NotificationInput[] = [];
  failing = false;

  notify(input: NotificationInput): Promise<void> {
    if (this.failing) return Promise.reject(new Error("the inbox is down"));
    this.sent.push(input);
    return Promise.resolve();
  }
}

export class RecordingMessenger implements Messenger {
  readonly shared: { senderId: string; recipientIds: string[]; postId: string }[] = [];

  sharePost(senderId: string, recipientIds: readonly string[], postId: string): Promise<void> {
    this.shared.push({ senderId, recipientIds: [...recipientIds], postId });
    return Promise.resolve();
  }
}

/** Counts the `of` calls posts make, to hold them to one per answer. */
export class CountingEngagement implements EngagementSource {
  readonly calls: string[][] = [];
  constructor(private readonly inner: EngagementSource) {}

  of(viewerId: string, postIds: readonly string[]) {
    this.calls.push([...postIds]);
    return this.inner.of(viewerId, postIds);
  }
}

export interface World {
  store: LevelStore;
  journal: WriteJournal;
  /** Posts whose fan-out was recorded, in order. */
  published: { postId: string; authorId: string }[];
  /** Posts whose deletion the other nodes were told of, in order. */
  deleted: string[];
  /** A ready upload of `authorId`'s, not yet in any post. */
  mediaFor(authorId: string): string;
  graph: Graph;
  accounts: Accounts;
  posts: Posts;
  engagement: CountingEngagement;
  notifier: RecordingNotifier;
  messenger: RecordingMessenger;
  interactions: Interactions;
  /** Another node's Interactions on the same store: its own in-process locks. */
  otherNode(): Interactions;
  /** A user written straight to the store (sign-up hashes passwords, far too slow for hundreds). */
  user(options?: { isPrivate?: boolean }): Promise<{ id: string; username: string }>;
  post(authorId: string, caption?: string): Promise<PostView>;
  close(): Promise<void>;
}

let userCounter = 0;
let mediaCounter = 0;

/** `keptRowBytes`: the posts' byte bound on the rows they keep (none by default). */
export async function createWorld(options: { keptRowBytes?: number } = {}): Promise<World> {
  const dir = await mkdtemp(path.join(tmpdir(), "mosaic-interactions-"));
  const store = new LevelStore({ path: path.join(dir, "db") });
  await store.open([...accountTables, ...graphTables, ...postTables, ...interactionTables, ...journalTables]);
  const ids = new SnowflakeGenerator({ workerId: 7 });
  const journal = new WriteJournal({ store, ids, holder: "fixture" });
  const graph = new Graph({ store, ids, journal });
  const accounts = new Accounts({
    store,
    ids,
    tokens: new AccessTokens("x".repeat(48), 3600),
    avatars: { avatarOf: () => Promise.resolve(undefined) },
    relationships: graph,
  });
  const mediaOwners = new Map<string, string>();
  const published: { postId: string; authorId: string }[] = [];
  const deleted: string[] = [];
  const counts = new Engagement({ store });
  const engagement = new CountingEngagement(counts);
  const notifier = new RecordingNotifier();
  const messenger = new RecordingMessenger();
  const posts = new Posts({
    store,
    ids,
    closeFriends: graph.closeFriends,
    cache: new MemoryCache(),
    ...(options.keptRowBytes !== undefined && { keptRowBytes: options.keptRowBytes }),
    published: (job) => {
      published.push(job);
      return Promise.resolve();
    },
    journal,
    engagement,
    notifier,
    deleted: (postId) => {
      deleted.push(postId);
      return Promise.resolve();
    },
    media: {
      find(mediaId) {
        const owner = mediaOwners.get(mediaId);
        const row: MediaRow | undefined = owner
          ? { owner_id: owner, media_id: mediaId, kind: "image", status: "ready" }
          : undefined;
        return Promise.resolve(row);
      },
      view: (row) =>
        Promise.resolve({
          id: row.media_id,
          type: "image",
          status: "ready",
          width: 1,
          height: 1,
          variants: {},
          createdAt: new Date(0).toISOString(),
          altText: null,
        }),
    },
    users: {
      idsOf: (names) => accounts.idsOf(names),
      view: (viewer, id) => accounts.view(viewer, id),
      shown: (id) => accounts.shown(id),
    },
    visibility: {
      async of(viewerId, author) {
        if (await graph.isBlockedEitherWay(viewerId, author.id)) return "hidden";
        if (author.isPrivate && !(await graph.canSeePrivate(viewerId, author.id))) return "private";
        return "visible";
      },
    },
  });
  const build = () =>
    new Interactions({
      store,
      ids,
      now: Date.now,
      posts,
      accounts,
      graph,
      notifier,
      messenger,
      journal,
      countsChanged: (postId) => counts.forget(postId),
    });

  return {
    store,
    journal,
    published,
    deleted,
    mediaFor(authorId) {
      const mediaId = String(BigInt(Date.now()) * 1000n + BigInt(++mediaCounter));
      mediaOwners.set(mediaId, authorId);
      return mediaId;
    },
    graph,
    accounts,
    posts,
    engagement,
    notifier,
    messenger,
    interactions: build(),
    otherNode: build,
    async user(options = {}) {
      const id = await ids.next();
      const username = `user_${++userCounter}_${id.slice(-6)}`;
      await store.put(users, {
        user_id: id,
        username,
        is_private: options.isPrivate ?? false,
        created_at: new Date(),
      });
      await store.insertIfAbsent(usernames, { username, user_id: id });
      return { id, username };
    },
    async post(authorId, caption = "") {
      const mediaId = await ids.next();
      mediaOwners.set(mediaId, authorId);
      return posts.create(authorId, { caption, mediaIds: [mediaId] });
    },
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every item of a paged list, following cursors to the end. */
export async function everything<T>(
  pageOf: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await pageOf(cursor);
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return all;
}

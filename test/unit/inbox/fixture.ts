export { appErrorOf as rejectionOf } from "../../support/rejections";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { AccessTokens, Accounts, accountTables } from "../../../lib/accounts";
import { users, usernames } from "../../../lib/accounts/tables";
import { NotFoundError } from "../../../lib/errors";
import { Graph, graphTables } from "../../../lib/graph";
import { SnowflakeGenerator } from "../../../lib/ids";
import { Inbox, inboxTables, type InboxDeps } from "../../../lib/inbox";
import { toMediaView, type MediaRow } from "../../../lib/media-library/media-view";
import { LevelStore } from "../../../lib/store/level";
import type { WideRowStore } from "../../../lib/store/store";
import type { StreamEvent } from "../../../lib/stream/events";

export interface Published {
  userIds: string[];
  event: StreamEvent;
}

/** A real store, accounts and graph in a temp dir; media and posts are small fakes; `publish` is recorded. */
export interface InboxFixture {
  store: LevelStore;
  graph: Graph;
  ids: SnowflakeGenerator;
  published: Published[];
  deps: InboxDeps;
  inbox: Inbox;
  /** Media rows the fake media library knows. */
  media: Map<string, MediaRow>;
  /** Post ids each viewer may see. */
  visiblePosts: Map<string, Set<string>>;
  newUser(name?: string): Promise<{ id: string; username: string }>;
  newUsers(n: number): Promise<{ id: string; username: string }[]>;
  /** Another Inbox on the same store, as a second owner node would have (or one built over another store). */
  inboxOver(store: WideRowStore): Inbox;
  close(): Promise<void>;
}

let counter = 0;

export async function inboxFixture(): Promise<InboxFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), "mosaic-inbox-"));
  const store = new LevelStore({ path: path.join(dir, "db") });
  await store.open([...accountTables, ...graphTables, ...inboxTables]);
  const ids = new SnowflakeGenerator({ workerId: 902 });
  const graph = new Graph({ store, ids });
  const accounts = new Accounts({
    store,
    ids,
    tokens: new AccessTokens("a-test-secret-that-is-long-enough-for-hs256", 3600),
    avatars: { avatarOf: () => Promise.resolve(undefined) },
    relationships: graph,
  });
  const published: Published[] = [];
  const media = new Map<string, MediaRow>();
  const visiblePosts = new Map<string, Set<string>>();
  const depsOver = (over: WideRowStore): InboxDeps => ({
    store: over,
    ids,
    now: Date.now,
    accounts,
    graph,
    media: {
      find: (mediaId) => Promise.resolve(media.get(mediaId)),
      view: (row) => toMediaView(row, (key) => Promise.resolve(`http://files.test/${key}`)),
    },
    posts: {
      visibleAuthor: (viewerId, postId) => {
        if (visiblePosts.get(viewerId)?.has(postId) !== true) {
          return Promise.reject(new NotFoundError("POST_NOT_FOUND", "no such post"));
        }
        return Promise.resolve("author");
      },
    },
    publish: (userIds, event) => {
      published.push({ userIds: [...userIds], event });
    },
  });
  const deps = depsOver(store);

  async function newUser(name?: string): Promise<{ id: string; username: string }> {
    const id = await ids.next();
    const username = name ?? `u${++counter}_${id.slice(-6)}`;
    await store.put(users, {
      user_id: id,
      username,
      email: `${username}@example.com`,
      display_name: username,
      bio: "",
      is_private: false,
      created_at: new Date(),
    });
    await store.insertIfAbsent(usernames, { username, user_id: id });
    return { id, username };
  }

  return {
    store,
    graph,
    ids,
    published,
    deps,
    inbox: new Inbox(deps),
    media,
    visiblePosts,
    newUser,
    newUsers: async (n) => {
      const made = [];
      for (let i = 0; i < n; i++) made.push(await newUser());
      return made;
    },
    inboxOver: (over) => new Inbox(depsOver(over)),
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

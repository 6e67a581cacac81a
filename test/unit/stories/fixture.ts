import { appErrorOf as rejectionOf } from "../../support/rejections";
export { rejectionOf };
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { AccessTokens, Accounts, accountTables } from "../../../lib/accounts";
import { FsBlobStore } from "../../../lib/blobs";
import { Graph, graphTables } from "../../../lib/graph";
import { SnowflakeGenerator } from "../../../lib/ids";
import { MediaLibrary } from "../../../lib/media-library/media-library";
import { media, mediaOwners, mediaTables } from "../../../lib/media-library/tables";
import { postTables } from "../../../lib/posts/tables";
import { Stories, storyTables } from "../../../lib/stories";
import { LevelStore } from "../../../lib/store/level";

export const HOUR = 3600_000;

/** A clock the tests move by hand, shared by the stories and the store's TTL. */
export class Clock {
  constructor(private ms = Date.UTC(2030, 0, 1)) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface User {
  id: string;
  username: string;
}

/** Real stories on a real LevelStore with real accounts, graph and media library; media rows are written as a transcoder would leave them. */
export class StoriesFixture {
  readonly clock = new Clock();
  readonly ids = new SnowflakeGenerator({ workerId: 7, now: this.clock.now });
  store!: LevelStore;
  graph!: Graph;
  accounts!: Accounts;
  stories!: Stories;
  /** The real library the stories read media through; tests record transcoding results on it. */
  library!: MediaLibrary;
  private dir = "";
  private blobs!: FsBlobStore;
  private named = 0;

  async start(): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), "mosaic-stories-"));
    const now = this.clock.now;
    this.store = new LevelStore({ path: path.join(this.dir, "db"), now });
    await this.store.open([...accountTables, ...graphTables, ...mediaTables, ...postTables, ...storyTables]);
    this.blobs = new FsBlobStore({ root: path.join(this.dir, "blobs") });
    this.graph = new Graph({ store: this.store, ids: this.ids, now });
    this.accounts = new Accounts({
      store: this.store,
      ids: this.ids,
      tokens: new AccessTokens("k".repeat(48), 3600, now),
      avatars: { avatarOf: () => Promise.resolve(undefined) },
      relationships: this.graph,
      now,
    });
    const library = (this.library = new MediaLibrary({
      store: this.store,
      blobs: this.blobs,
      ids: this.ids,
      dispatch: () => undefined,
      urlOf: (key) => Promise.resolve(`http://files.test/${key}`),
      now,
    }));
    this.stories = new Stories({
      store: this.store,
      ids: this.ids,
      now,
      media: library,
      accounts: this.accounts,
      graph: this.graph,
    });
  }

  async stop(): Promise<void> {
    await this.store.close();
    await this.blobs.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  async user(options: { isPrivate?: boolean } = {}): Promise<User> {
    this.named++;
    const username = `story_user_${this.named}`;
    const { user } = await this.accounts.signup({
      username,
      email: `${username}@example.com`,
      password: "correct horse battery",
    });
    if (options.isPrivate === true) await this.accounts.updateMe(user.id, { isPrivate: true });
    return { id: user.id, username };
  }

  /** A media row of `owner` in the given state, as the library records it. */
  async media(owner: User, status: "ready" | "processing" | "failed" = "ready"): Promise<string> {
    const mediaId = await this.ids.next();
    await this.store.put(media, {
      owner_id: owner.id,
      media_id: mediaId,
      kind: "image",
      status,
      width: 640,
      height: 480,
      blurhash: "LEHV6nWB2yk8",
      variants:
        status === "ready"
          ? JSON.stringify({
              small: {
                key: `media/${owner.id}/${mediaId}/small.jpg`,
                width: 640,
                height: 480,
                contentType: "image/jpeg",
              },
            })
          : "",
      created_at: new Date(this.clock.now()),
    });
    await this.store.put(mediaOwners, { media_id: mediaId, owner_id: owner.id });
    return mediaId;
  }

  /** Posts a story with fresh media, a second after the previous thing happened. */
  async story(author: User): Promise<string> {
    this.clock.advance(1000);
    const story = await this.stories.create(author.id, await this.media(author));
    return story.id;
  }

  async follow(follower: User, target: User): Promise<void> {
    const view = await this.accounts.view(follower.id, target.id);
    if (view === undefined) throw new Error("no such user to follow");
    await this.graph.follow(follower.id, { id: target.id, isPrivate: view.isPrivate });
  }
}

/** The AppError a call rejects with. */

export async function expectError(promise: Promise<unknown>, status: number, code: string): Promise<void> {
  const error = await rejectionOf(promise);
  expect({ status: error.status, code: error.code }).to.deep.equal({ status, code });
}

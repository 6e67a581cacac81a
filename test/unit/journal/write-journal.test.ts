import { expect } from "chai";
import { userCounts } from "../../../lib/accounts/tables";
import { BadRequestError } from "../../../lib/errors";
import { likesByTime, postCounts } from "../../../lib/interactions/tables";
import { followers } from "../../../lib/graph/tables";
import { mediaClaims, postAuthors, posts } from "../../../lib/posts/tables";
import type { AnyTable } from "../../../lib/store/schema";
import type { WideRowStore } from "../../../lib/store/store";
import { rejectionOf } from "../../support/rejections";
import { createWorld, everything, type World } from "../interactions/fixture";

type WriteMethod = "put" | "increment" | "delete" | "deleteIf" | "insertIfAbsent";

/**
 * The process "dies" at one write: from the first call of `method` on `table` on, every write fails, as writes
 * after a SIGKILL never happen. `revive` ends it, as a restart on the same data does.
 */
function crashAt(store: WideRowStore, method: WriteMethod, table: AnyTable): { revive(): void } {
  const methods = ["put", "increment", "delete", "deleteIf", "insertIfAbsent", "batch"] as const;
  const originals = new Map(methods.map((m) => [m, store[m].bind(store)] as const));
  let dead = false;
  for (const m of methods) {
    const original = originals.get(m) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(store, {
      [m]: (...args: unknown[]) => {
        if (m === method && args[0] === table) dead = true;
        return dead ? Promise.reject(new Error("killed")) : original(...args);
      },
    });
  }
  return {
    revive() {
      for (const m of methods) Object.assign(store, { [m]: originals.get(m) });
    },
  };
}

/**
 * Issue #9, "nothing half-made is visible": an operation whose writes span partitions, cut short by a crash at
 * each write that matters, is whole after the journal's resume (as at the next start), with its counts equal to
 * the rows they count.
 */
describe("WriteJournal: operations cut short are completed", function () {
  this.timeout(30_000);
  let w: World;

  beforeEach(async () => {
    w = await createWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  const rawLikes = async (postId: string) => (await w.store.get(postCounts, { post_id: postId }))?.likes ?? 0;
  const rawComments = async (postId: string) =>
    (await w.store.get(postCounts, { post_id: postId }))?.comments ?? 0;
  const likerIds = async (viewerId: string, postId: string) =>
    (await everything((cursor) => w.interactions.likers(viewerId, postId, { limit: 100, cursor }))).map(
      (u) => u.id,
    );
  const counts = async (userId: string) => w.store.get(userCounts, { user_id: userId });

  it("a like killed before its count: listed and counted after resume", async () => {
    const [author, fan] = [await w.user(), await w.user()];
    const post = await w.post(author.id);
    const crash = crashAt(w.store, "increment", postCounts);
    expect(String(await rejectionOf(w.interactions.like(fan.id, post.id)))).to.contain("killed");
    crash.revive();
    expect(await rawLikes(post.id)).to.equal(0);
    expect(await w.journal.pending()).to.equal(1);
    expect(await w.journal.resume(0, 60_000)).to.equal(1);
    expect(await rawLikes(post.id)).to.equal(1);
    expect(await likerIds(author.id, post.id)).to.deep.equal([fan.id]);
    expect(await w.journal.pending()).to.equal(0);
  });

  it("an unlike killed after its deciding row: unlisted and uncounted after resume", async () => {
    const [author, fan, other] = [await w.user(), await w.user(), await w.user()];
    const post = await w.post(author.id);
    await w.interactions.like(fan.id, post.id);
    await w.interactions.like(other.id, post.id);
    const crash = crashAt(w.store, "delete", likesByTime);
    expect(String(await rejectionOf(w.interactions.unlike(fan.id, post.id)))).to.contain("killed");
    crash.revive();
    expect(await rawLikes(post.id)).to.equal(2);
    await w.journal.resume(0, 60_000);
    expect(await rawLikes(post.id)).to.equal(1);
    expect(await likerIds(author.id, post.id)).to.deep.equal([other.id]);
  });

  it("a comment killed before its count: counted after resume; a resume twice counts once", async () => {
    const [author, fan] = [await w.user(), await w.user()];
    const post = await w.post(author.id);
    const crash = crashAt(w.store, "increment", postCounts);
    expect(String(await rejectionOf(w.interactions.comment(fan.id, post.id, { text: "hi" })))).to.contain(
      "killed",
    );
    crash.revive();
    expect(await rawComments(post.id)).to.equal(0);
    await w.journal.resume(0, 60_000);
    await w.journal.resume(0, 60_000);
    expect(await rawComments(post.id)).to.equal(1);
    const listed = await everything((cursor) =>
      w.interactions.listComments(author.id, post.id, { limit: 100, cursor }),
    );
    expect(listed.map((c) => c.text)).to.deep.equal(["hi"]);
  });

  it("a follow killed before its counts: listed on both sides and counted after resume", async () => {
    const [a, b] = [await w.user(), await w.user()];
    const crash = crashAt(w.store, "increment", userCounts);
    expect(String(await rejectionOf(w.graph.follow(a.id, { id: b.id, isPrivate: false })))).to.contain(
      "killed",
    );
    crash.revive();
    await w.journal.resume(0, 60_000);
    expect((await w.graph.following(a.id, { limit: 10 })).ids).to.deep.equal([b.id]);
    expect((await w.graph.followers(b.id, { limit: 10 })).ids).to.deep.equal([a.id]);
    expect((await counts(a.id))?.following).to.equal(1);
    expect((await counts(b.id))?.followers).to.equal(1);
  });

  it("an unfollow killed after its deciding row: gone from both lists and uncounted after resume", async () => {
    const [a, b] = [await w.user(), await w.user()];
    await w.graph.follow(a.id, { id: b.id, isPrivate: false });
    const crash = crashAt(w.store, "delete", followers);
    expect(String(await rejectionOf(w.graph.unfollow(a.id, b.id)))).to.contain("killed");
    crash.revive();
    await w.journal.resume(0, 60_000);
    expect((await w.graph.following(a.id, { limit: 10 })).ids).to.deep.equal([]);
    expect((await w.graph.followers(b.id, { limit: 10 })).ids).to.deep.equal([]);
    expect((await counts(a.id))?.following ?? 0).to.equal(0);
    expect((await counts(b.id))?.followers ?? 0).to.equal(0);
  });

  it("a post killed before its count: counted and published after resume", async () => {
    const author = await w.user();
    const crash = crashAt(w.store, "increment", userCounts);
    expect(String(await rejectionOf(w.post(author.id, "cut short")))).to.contain("killed");
    crash.revive();
    const published = w.published.length;
    await w.journal.resume(0, 60_000);
    expect((await counts(author.id))?.posts).to.equal(1);
    // The fan-out job was never recorded before the crash: the resume records it.
    expect(w.published.slice(published).map((p) => p.authorId)).to.deep.equal([author.id]);
  });

  it("a post killed before its row: its media are free again and nothing of it is left", async () => {
    const author = await w.user();
    const crash = crashAt(w.store, "put", posts);
    const mediaId = w.mediaFor(author.id);
    expect(String(await rejectionOf(w.posts.create(author.id, { mediaIds: [mediaId] })))).to.contain(
      "killed",
    );
    crash.revive();
    expect(await w.store.get(mediaClaims, { media_id: mediaId })).to.not.equal(undefined);
    await w.journal.resume(0, 60_000);
    expect(await w.store.get(mediaClaims, { media_id: mediaId })).to.equal(undefined);
    expect((await counts(author.id))?.posts ?? 0).to.equal(0);
    // The media can go into a post again.
    const post = await w.posts.create(author.id, { mediaIds: [mediaId] });
    expect(await w.store.get(postAuthors, { post_id: post.id })).to.not.equal(undefined);
  });

  it("a post deletion killed before its row went: deleted after resume, never published again", async () => {
    const author = await w.user();
    const post = await w.post(author.id, "to go");
    const crash = crashAt(w.store, "delete", posts);
    expect(String(await rejectionOf(w.posts.delete(author.id, post.id)))).to.contain("killed");
    crash.revive();
    const published = w.published.length;
    await w.journal.resume(0, 60_000);
    expect(String(await rejectionOf(w.posts.get(author.id, post.id)))).to.contain("no such post");
    expect((await counts(author.id))?.posts ?? 0).to.equal(0);
    expect(w.published.length).to.equal(published);
  });

  it("forgets an operation refused with a client error, and keeps one that failed otherwise", async () => {
    expect(
      String(
        await rejectionOf(
          w.journal.run("like", { userId: "1", postId: "2" }, () =>
            Promise.reject(new BadRequestError("NO", "no")),
          ),
        ),
      ),
    ).to.contain("no");
    expect(await w.journal.pending()).to.equal(0);
    expect(
      String(
        await rejectionOf(
          w.journal.run("like", { userId: "1", postId: "2" }, () => Promise.reject(new Error("store down"))),
        ),
      ),
    ).to.contain("store down");
    expect(await w.journal.pending()).to.equal(1);
  });
});

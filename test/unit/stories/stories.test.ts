import { expect } from "chai";
import { mediaClaims } from "../../../lib/posts/tables";
import { stories as storiesTable, storyAuthors, storyViewers, storyViews } from "../../../lib/stories";
import { HOUR, StoriesFixture, expectError, type User } from "./fixture";

describe("Stories", function () {
  this.timeout(30_000);
  let f: StoriesFixture;

  beforeEach(async () => {
    f = new StoriesFixture();
    await f.start();
  });
  afterEach(async () => {
    await f.stop();
  });

  const usernamesOf = (page: { items: { username: string }[] }) => page.items.map((u) => u.username);
  const idsOf = (page: { items: { id: string }[] }) => page.items.map((s) => s.id);

  describe("create", () => {
    it("posts a ready media of the author, expiring 24 h later, and claims the media for the story", async () => {
      const ada = await f.user();
      const mediaId = await f.media(ada);
      const story = await f.stories.create(ada.id, mediaId);
      const createdAt = f.clock.now();
      expect(story).to.deep.include({
        createdAt: new Date(createdAt).toISOString(),
        expiresAt: new Date(createdAt + 24 * HOUR).toISOString(),
        seenByMe: false,
      });
      expect(story.author).to.deep.include({ id: ada.id, username: ada.username });
      expect(story.media).to.deep.include({ id: mediaId, status: "ready", type: "image" });
      expect(story.media.variants.small?.url).to.match(/^http:\/\/files\.test\/media\//);
      expect(await f.store.get(mediaClaims, { media_id: mediaId })).to.deep.equal({
        media_id: mediaId,
        owner_kind: "story",
        owner_id: story.id,
      });
    });

    it("refuses media that failed, are not the author's, or are unknown", async () => {
      const [ada, bob] = [await f.user(), await f.user()];
      await expectError(f.stories.create(ada.id, await f.media(ada, "failed")), 400, "MEDIA_NOT_USABLE");
      await expectError(f.stories.create(ada.id, await f.media(bob)), 400, "MEDIA_NOT_USABLE");
      await expectError(f.stories.create(ada.id, await f.ids.next()), 400, "MEDIA_NOT_USABLE");
      expect((await f.stories.listByUser(ada.id, ada.username)).items).to.deep.equal([]);
    });

    it("takes media still processing, and shows each story's media as it is now: processing, ready, failed", async () => {
      const [ada, bob] = [await f.user(), await f.user()];
      const [rendered, broken] = [await f.media(ada, "processing"), await f.media(ada, "processing")];
      const made = [await f.stories.create(ada.id, rendered), await f.stories.create(ada.id, broken)];
      for (const story of made) expect(story.media).to.deep.include({ status: "processing", variants: {} });
      expect(await f.store.get(mediaClaims, { media_id: rendered })).to.deep.include({ owner_kind: "story" });

      const job = (mediaId: string) => ({
        mediaId,
        ownerId: ada.id,
        kind: "image" as const,
        originalKey: "o",
      });
      const small = {
        key: `media/${ada.id}/${rendered}/small.jpg`,
        width: 64,
        height: 48,
        contentType: "image/jpeg",
      };
      await f.library.recordResult(job(rendered), {
        width: 64,
        height: 48,
        blurhash: "L",
        variants: { small },
      });
      await f.library.recordFailure(job(broken), "Input file is truncated");

      for (const viewer of [bob, ada]) {
        const [ready, failed] = (await f.stories.listByUser(viewer.id, ada.username)).items;
        expect(ready!.media).to.deep.include({ id: rendered, status: "ready", width: 64, height: 48 });
        expect(ready!.media.variants).to.deep.equal({
          small: { url: `http://files.test/${small.key}`, width: 64, height: 48, contentType: "image/jpeg" },
        });
        expect(failed!.media).to.deep.include({ id: broken, status: "failed", variants: {} });
      }
      const [group] = (await f.stories.feed(ada.id)).items;
      expect(group!.stories.map((s) => s.media.status)).to.deep.equal(["ready", "failed"]);
    });

    it("uses a media once, whether a story or a post took it first", async () => {
      const ada = await f.user();
      const mediaId = await f.media(ada);
      const first = await f.stories.create(ada.id, mediaId);
      await expectError(f.stories.create(ada.id, mediaId), 400, "MEDIA_IN_USE");
      const posted = await f.media(ada);
      await f.store.insertIfAbsent(mediaClaims, { media_id: posted, owner_kind: "post", owner_id: "42" });
      await expectError(f.stories.create(ada.id, posted), 400, "MEDIA_IN_USE");
      expect(idsOf(await f.stories.listByUser(ada.id, ada.username))).to.deep.equal([first.id]);
    });
  });

  describe("expiry", () => {
    it("keeps a story for 24 hours and then drops it, its rows and its views, from every answer", async () => {
      const [ada, bob] = [await f.user(), await f.user()];
      await f.follow(bob, ada);
      const storyId = await f.story(ada);
      const createdAt = f.clock.now();

      f.clock.advance(23 * HOUR);
      await f.stories.view(bob.id, storyId);
      f.clock.advance(59 * 60_000);
      expect(idsOf(await f.stories.listByUser(bob.id, ada.username))).to.deep.equal([storyId]);
      expect((await f.stories.feed(bob.id)).items.map((g) => g.user.id)).to.deep.equal([ada.id]);
      expect(usernamesOf(await f.stories.viewers(ada.id, storyId, { limit: 20 }))).to.deep.equal([
        bob.username,
      ]);

      f.clock.advance(createdAt + 24 * HOUR + 1000 - f.clock.now());
      expect((await f.stories.listByUser(bob.id, ada.username)).items).to.deep.equal([]);
      expect((await f.stories.listByUser(ada.id, ada.username)).items).to.deep.equal([]);
      expect((await f.stories.feed(bob.id)).items).to.deep.equal([]);
      expect((await f.stories.feed(ada.id)).items).to.deep.equal([]);
      await expectError(f.stories.view(bob.id, storyId), 404, "STORY_NOT_FOUND");
      await expectError(f.stories.viewers(ada.id, storyId, { limit: 20 }), 404, "STORY_NOT_FOUND");
      await expectError(f.stories.delete(ada.id, storyId), 404, "STORY_NOT_FOUND");
      // Gone from the store itself, so nothing has to sweep it; the view died with the story, not a day after it.
      expect(await f.store.get(storiesTable, { author_id: ada.id, story_id: storyId })).to.equal(undefined);
      expect(await f.store.get(storyAuthors, { story_id: storyId })).to.equal(undefined);
      expect(await f.store.get(storyViews, { story_id: storyId, viewer_id: bob.id })).to.equal(undefined);
      expect((await storyViewers.walk(f.store, storyId, { limit: 1000 })).rows).to.deep.equal([]);
    });

    it("expires each story on its own clock", async () => {
      const ada = await f.user();
      const early = await f.story(ada);
      f.clock.advance(12 * HOUR);
      const late = await f.story(ada);
      f.clock.advance(12 * HOUR);
      expect(idsOf(await f.stories.listByUser(ada.id, ada.username))).to.deep.equal([late]);
      expect(early).to.not.equal(late);
    });
  });

  describe("listByUser", () => {
    it("lists a user's live stories oldest first", async () => {
      const [ada, bob] = [await f.user(), await f.user()];
      const made = [await f.story(ada), await f.story(ada), await f.story(ada)];
      expect(idsOf(await f.stories.listByUser(bob.id, ada.username))).to.deep.equal(made);
      expect(idsOf(await f.stories.listByUser(ada.id, ada.username.toUpperCase()))).to.deep.equal(made);
    });

    it("answers 404 for unknown and blocked users, either way", async () => {
      const [ada, bob, cyd] = [await f.user(), await f.user(), await f.user()];
      await f.story(ada);
      await expectError(f.stories.listByUser(ada.id, "nobody_here"), 404, "USER_NOT_FOUND");
      await f.graph.block(ada.id, bob.id);
      await f.graph.block(cyd.id, ada.id);
      await expectError(f.stories.listByUser(bob.id, ada.username), 404, "USER_NOT_FOUND");
      await expectError(f.stories.listByUser(cyd.id, ada.username), 404, "USER_NOT_FOUND");
    });

    it("keeps a private account's stories for its approved followers and itself", async () => {
      const [owner, fan, asker, stranger] = [
        await f.user({ isPrivate: true }),
        await f.user(),
        await f.user(),
        await f.user(),
      ];
      const storyId = await f.story(owner);
      await f.follow(fan, owner);
      await f.follow(asker, owner);
      await f.graph.approve(owner.id, fan.id);
      await expectError(f.stories.listByUser(stranger.id, owner.username), 403, "PRIVATE_ACCOUNT");
      await expectError(f.stories.listByUser(asker.id, owner.username), 403, "PRIVATE_ACCOUNT");
      expect(idsOf(await f.stories.listByUser(fan.id, owner.username))).to.deep.equal([storyId]);
      expect(idsOf(await f.stories.listByUser(owner.id, owner.username))).to.deep.equal([storyId]);
    });
  });

  describe("views and viewers", () => {
    it("records a view once per viewer, marks it seen, and never records the author", async () => {
      const [ada, bob] = [await f.user(), await f.user()];
      const storyId = await f.story(ada);
      expect((await f.stories.listByUser(bob.id, ada.username)).items[0]?.seenByMe).to.equal(false);
      await f.stories.view(bob.id, storyId);
      await f.stories.view(bob.id, storyId);
      await f.stories.view(ada.id, storyId);
      expect((await f.stories.listByUser(bob.id, ada.username)).items[0]?.seenByMe).to.equal(true);
      expect((await f.stories.listByUser(ada.id, ada.username)).items[0]?.seenByMe).to.equal(false);
      expect(usernamesOf(await f.stories.viewers(ada.id, storyId, { limit: 20 }))).to.deep.equal([
        bob.username,
      ]);
      expect((await storyViewers.walk(f.store, storyId, { limit: 1000 })).rows).to.have.length(1);
    });

    it("counts concurrent views of one viewer once", async () => {
      const [ada, bob] = [await f.user(), await f.user()];
      const storyId = await f.story(ada);
      await Promise.all(Array.from({ length: 5 }, () => f.stories.view(bob.id, storyId)));
      expect((await storyViewers.walk(f.store, storyId, { limit: 1000 })).rows).to.have.length(1);
    });

    it("answers 404 to a view of a story the caller cannot see", async () => {
      const [owner, stranger, blocked, ada] = [
        await f.user({ isPrivate: true }),
        await f.user(),
        await f.user(),
        await f.user(),
      ];
      const hidden = await f.story(owner);
      await expectError(f.stories.view(stranger.id, hidden), 404, "STORY_NOT_FOUND");
      const open = await f.story(ada);
      await f.graph.block(ada.id, blocked.id);
      await expectError(f.stories.view(blocked.id, open), 404, "STORY_NOT_FOUND");
      await expectError(f.stories.view(stranger.id, await f.ids.next()), 404, "STORY_NOT_FOUND");
      expect((await f.stories.viewers(ada.id, open, { limit: 20 })).items).to.deep.equal([]);
    });

    it("lists viewers newest first, a page at a time, without repeats while views arrive", async () => {
      const ada = await f.user();
      const viewers: User[] = [];
      for (let i = 0; i < 5; i++) viewers.push(await f.user());
      const storyId = await f.story(ada);
      for (const v of viewers) {
        f.clock.advance(1000);
        await f.stories.view(v.id, storyId);
      }
      const first = await f.stories.viewers(ada.id, storyId, { limit: 2 });
      expect(usernamesOf(first)).to.deep.equal([viewers[4]?.username, viewers[3]?.username]);
      expect(first.nextCursor).to.be.a("string");
      const late = await f.user();
      await f.stories.view(late.id, storyId);
      const seen = usernamesOf(first);
      let cursor = first.nextCursor;
      while (cursor !== null) {
        const page = await f.stories.viewers(ada.id, storyId, { limit: 2, cursor });
        seen.push(...usernamesOf(page));
        cursor = page.nextCursor;
      }
      expect(seen).to.deep.equal(viewers.map((v) => v.username).reverse());
      const fresh = await f.stories.viewers(ada.id, storyId, { limit: 1 });
      expect(usernamesOf(fresh)).to.deep.equal([late.username]);
    });

    it("shows viewers to the author only: 403 to others who see the story, 404 to those who cannot", async () => {
      const [ada, bob, blocked] = [await f.user(), await f.user(), await f.user()];
      const storyId = await f.story(ada);
      await f.graph.block(blocked.id, ada.id);
      await expectError(f.stories.viewers(bob.id, storyId, { limit: 20 }), 403, "NOT_AUTHOR");
      await expectError(f.stories.viewers(blocked.id, storyId, { limit: 20 }), 404, "STORY_NOT_FOUND");
      await expectError(
        f.stories.viewers(ada.id, storyId, { limit: 20, cursor: "bm90LW91cnM" }),
        400,
        "INVALID_CURSOR",
      );
    });
  });

  describe("delete", () => {
    it("lets the author delete a story, which is then gone with its views", async () => {
      const [ada, bob] = [await f.user(), await f.user()];
      const storyId = await f.story(ada);
      const kept = await f.story(ada);
      await f.stories.view(bob.id, storyId);
      await f.stories.delete(ada.id, storyId);
      expect(idsOf(await f.stories.listByUser(bob.id, ada.username))).to.deep.equal([kept]);
      await expectError(f.stories.view(bob.id, storyId), 404, "STORY_NOT_FOUND");
      await expectError(f.stories.delete(ada.id, storyId), 404, "STORY_NOT_FOUND");
      expect((await storyViewers.walk(f.store, storyId, { limit: 1000 })).rows).to.deep.equal([]);
      // Each viewer's "seen" row is its own partition: it is left to die with the story (nothing reads it now).
      expect(await f.store.get(storyViews, { story_id: storyId, viewer_id: bob.id })).to.not.equal(undefined);
      f.clock.advance(24 * HOUR);
      expect(await f.store.get(storyViews, { story_id: storyId, viewer_id: bob.id })).to.equal(undefined);
    });

    it("answers 403 to others who see the story and 404 to those who cannot", async () => {
      const [owner, fan, stranger] = [await f.user({ isPrivate: true }), await f.user(), await f.user()];
      await f.follow(fan, owner);
      await f.graph.approve(owner.id, fan.id);
      const storyId = await f.story(owner);
      await expectError(f.stories.delete(fan.id, storyId), 403, "NOT_AUTHOR");
      await expectError(f.stories.delete(stranger.id, storyId), 404, "STORY_NOT_FOUND");
      expect(idsOf(await f.stories.listByUser(owner.id, owner.username))).to.deep.equal([storyId]);
    });
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { TagPages } from "../../../lib/discovery/tag-pages";
import {
  discoveryTables,
  tagBucketCounts,
  tagListOwner,
  tagPostList,
  tagPosts,
} from "../../../lib/discovery/tables";
import { SnowflakeGenerator } from "../../../lib/ids";
import type { ListedPost } from "../../../lib/posts/posts";
import { LevelStore } from "../../../lib/store/level";

describe("TagPages", () => {
  let dir: string;
  let store: LevelStore;
  let pages: TagPages;
  const ids = new SnowflakeGenerator({ workerId: 7 });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-tags-"));
    store = new LevelStore({ path: path.join(dir, "db") });
    await store.open([...discoveryTables]);
    pages = new TagPages(store);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const newPost = async (...hashtags: string[]): Promise<ListedPost> => ({
    postId: await ids.next(),
    authorId: "42",
    hashtags,
    createdAt: new Date(),
  });
  const rows = async (tag: string) =>
    (await tagPostList.walk(store, tagListOwner(tag), { limit: 100 })).rows.map((r) => r.post_id);

  it("lists a post under each of its tags and counts it once, however often a crash re-runs the listing", async () => {
    const post = await newPost("cats", "dogs");
    await pages.listed(post);
    await pages.listed(post);
    await pages.listed(post);
    expect(await pages.tagPostCount("cats")).to.equal(1);
    expect(await pages.tagPostCount("dogs")).to.equal(1);
    expect(await rows("cats")).to.deep.equal([post.postId]);
  });

  it("uncounts a removal once, however often it is re-run", async () => {
    const [a, b] = [await newPost("cats"), await newPost("cats")];
    await pages.listed(a);
    await pages.listed(b);
    await pages.unlisted(a);
    await pages.unlisted(a);
    expect(await pages.tagPostCount("cats")).to.equal(1);
    expect(await rows("cats")).to.deep.equal([b.postId]);
    await pages.unlisted(b);
    expect(await pages.tagPostCount("cats")).to.equal(0);
  });

  it("repairs the count when a crash fell between the row and its increments (the re-run recounts the bucket)", async () => {
    const [counted, cutShort] = [await newPost("cats"), await newPost("cats")];
    await pages.listed(counted);
    // The row written, the process gone before the counts moved.
    const owner = tagListOwner("cats");
    const partition = await tagPostList.writePartition(store, owner, cutShort.postId);
    await store.insertIfAbsent(tagPosts, {
      ...partition,
      post_id: cutShort.postId,
      author_id: "42",
      tag: "cats",
    });
    expect(await pages.tagPostCount("cats")).to.equal(1);
    await pages.listed(cutShort);
    expect(await pages.tagPostCount("cats")).to.equal(2);
    const bucket = await store.get(tagBucketCounts, { tag: "cats", bucket: partition.bucket });
    expect(bucket?.posts).to.equal(2);
  });

  it("repairs a removal cut short between the row's delete and the decrements", async () => {
    const post = await newPost("cats");
    await pages.listed(post);
    const partition = tagPostList.partitionOf(tagListOwner("cats"), post.postId);
    await store.deleteIf(tagPosts, { ...partition, post_id: post.postId });
    await pages.unlisted(post);
    expect(await pages.tagPostCount("cats")).to.equal(0);
  });

  it("keeps tags apart and names never-used tags 0", async () => {
    await pages.listed(await newPost("café"));
    expect(await pages.tagPostCount("cafe")).to.equal(0);
    expect(await pages.tagPostCount("café")).to.equal(1);
    expect(tagListOwner("cafe")).to.not.equal(tagListOwner("café"));
  });
});

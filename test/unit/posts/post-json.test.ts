import { expect } from "chai";
import type { MediaView, PostView, UserView } from "../../../lib/contracts/objects";
import { parseSerialized } from "../../../lib/contracts/serialized";
import { PostJson } from "../../../lib/posts/post-json";

const media = (id: string, status: MediaView["status"] = "ready"): MediaView =>
  ({
    id,
    type: "image",
    status,
    width: 1080,
    height: 1350,
    blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    variants: { thumb: `https://m.example/${id}/thumb.jpg` },
  }) as unknown as MediaView;

const author = (over: Partial<UserView> = {}): UserView => ({
  id: "11",
  username: "ana",
  displayName: 'Ana "quoted" \u2028 née',
  bio: "",
  avatarUrl: null,
  isPrivate: false,
  createdAt: new Date(0).toISOString(),
  counts: { followers: 3, following: 2, posts: 1 },
  relationship: { following: true, followedBy: false, requested: false, blocking: false },
  ...over,
});

const post = (over: Partial<PostView> = {}, shown = [media("21")]): PostView => ({
  id: "31",
  author: author(),
  caption: "by the river #walk",
  hashtags: ["walk"],
  mentions: [],
  media: shown,
  createdAt: new Date(1_000).toISOString(),
  audience: "everyone",
  likeCount: 2,
  commentCount: 1,
  likedByMe: true,
  savedByMe: false,
  ...over,
});

describe("PostJson", () => {
  it("keeps texts within its byte bound, and writes what it no longer keeps the same", () => {
    const json = new PostJson({ maxBytes: 4_000 });
    const many = Array.from({ length: 100 }, (_, i) =>
      post({ id: String(1_000 + i), caption: "x".repeat(200) }),
    );
    const first = json.page({ items: many, nextCursor: null });
    expect(first).to.equal(JSON.stringify({ items: many, nextCursor: null }));
    expect(json.sizeInBytes).to.be.within(1, 4_000);
    // The first posts were forgotten to stay within the bound: written again, to the same text.
    expect(json.page({ items: many.slice(0, 3), nextCursor: null })).to.equal(
      JSON.stringify({ items: many.slice(0, 3), nextCursor: null }),
    );
    expect(new PostJson().sizeInBytes, "no byte bound: nothing counted").to.equal(0);
  });

  it("writes what JSON.stringify writes, key for key", () => {
    const json = new PostJson();
    const page = {
      items: [post(), post({ id: "30", author: author({ relationship: undefined }) })],
      nextCursor: "c.1",
    };
    const text = json.page(page);
    expect(text).to.equal(JSON.stringify(page));
    expect(json.page({ items: [], nextCursor: null })).to.equal('{"items":[],"nextCursor":null}');
  });

  it("writes an edit's time and the author's view counts where hydration puts them, and an edit afresh", () => {
    const json = new PostJson();
    const { likeCount, commentCount, likedByMe, savedByMe, audience, ...head } = post();
    const counts = { likeCount, commentCount, likedByMe, savedByMe };
    const before = {
      items: [{ ...head, audience, ...counts, viewCount: 40, playCount: 3 }],
      nextCursor: null,
    };
    expect(json.page(before)).to.equal(JSON.stringify(before));
    const editedAt = new Date(2_000).toISOString();
    const after = {
      items: [{ ...head, caption: "by the sea", editedAt, audience, ...counts }],
      nextCursor: null,
    };
    expect(json.page(after)).to.equal(JSON.stringify(after));
  });

  it("writes a close friends' post's audience, and a post whose audience changed afresh", () => {
    const json = new PostJson();
    const open = { items: [post()], nextCursor: null };
    expect(json.page(open)).to.equal(JSON.stringify(open));
    const inner = { items: [post({ audience: "close_friends" })], nextCursor: null };
    expect(json.page(inner)).to.equal(JSON.stringify(inner));
  });

  it("reuses a post's text for another viewer, with their own marks, counts and relationship", () => {
    const json = new PostJson();
    const shown = [media("21")];
    json.page({ items: [post({}, shown)], nextCursor: null });
    const other = post(
      {
        likeCount: 3,
        likedByMe: false,
        savedByMe: true,
        author: author({
          relationship: { following: true, followedBy: true, requested: false, blocking: false },
        }),
      },
      shown,
    );
    expect(parseSerialized(json.page({ items: [other], nextCursor: null }))).to.deep.equal({
      items: [other],
      nextCursor: null,
    });
  });

  it("serialises afresh what changed: a media that became ready, a caption, a profile's count or name", () => {
    const json = new PostJson();
    const shown = [media("21")];
    for (const changed of [
      post({}, [media("21", "failed")]),
      post({ caption: "edited" }, shown),
      post({ author: author({ counts: { followers: 4, following: 2, posts: 1 } }) }, shown),
      post({ author: author({ displayName: "Ana B" }) }, shown),
    ]) {
      // Kept first from the same values but the one that changed.
      json.page({ items: [post({}, shown)], nextCursor: null });
      const page = { items: [changed], nextCursor: null };
      expect(json.page(page)).to.equal(JSON.stringify(page));
    }
  });
});

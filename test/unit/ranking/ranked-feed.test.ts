import { expect } from "chai";
import { RankedFeed } from "../../../lib/ranking";
import type { PostView } from "../../../lib/contracts/objects";
import { SnowflakeGenerator } from "../../../lib/ids";

describe("RankedFeed", () => {
  const ids = new SnowflakeGenerator({ workerId: 2 });
  const view = (postId: string, authorId: string) =>
    ({ id: postId, author: { id: authorId }, media: [] }) as unknown as PostView;

  it("goes on chronologically, after the oldest candidate, once its ranking is read through", async () => {
    const entries = await Promise.all(
      Array.from({ length: 3 }, async (_, i) => ({ postId: await ids.next(), authorId: `${i + 10}` })),
    );
    const feed = new RankedFeed({
      candidates: () => Promise.resolve({ entries, more: true }),
      cursorBefore: (postId) => `${postId}.chrono`,
      hydrate: (_reader, chosen) => Promise.resolve(chosen.map((e) => view(e.postId, e.authorId))),
      activity: () => Promise.resolve(new Map()),
      affinity: () => Promise.resolve(new Map()),
    });
    const first = await feed.read("1", { limit: 2, explain: false });
    expect(first.items).to.have.length(2);
    const second = await feed.read("1", { limit: 2, explain: false, cursor: first.nextCursor ?? "" });
    expect(second.items).to.have.length(1);
    expect(second.nextCursor).to.equal(`${entries[2]?.postId}.chrono`);
  });

  it("ends with the ranking when nothing is older, and skips a post gone since it was ranked", async () => {
    const entries = await Promise.all(
      Array.from({ length: 3 }, async () => ({ postId: await ids.next(), authorId: "10" })),
    );
    const gone = entries[0]?.postId;
    const feed = new RankedFeed({
      candidates: () => Promise.resolve({ entries, more: false }),
      cursorBefore: () => "unused",
      hydrate: (_reader, chosen) =>
        Promise.resolve(chosen.filter((e) => e.postId !== gone).map((e) => view(e.postId, e.authorId))),
      activity: () => Promise.resolve(new Map()),
      affinity: () => Promise.resolve(new Map()),
    });
    const page = await feed.read("1", { limit: 3, explain: false });
    expect(page.items.map((p) => p.id)).to.deep.equal([entries[2]?.postId, entries[1]?.postId]);
    expect(page.nextCursor).to.equal(null);
  });
});

import { expect } from "chai";
import type { PostView } from "../../lib/contracts/objects";
import type { Page } from "../../lib/validation/page";
import { api, ManualClock, signup, startTestNode, type Account, type TestNode } from "../support/test-node";
import { createPost } from "../support/media";
import { eventually } from "../support/eventually";

type Ranked = PostView & { rank?: { total: number; recency: number; engagement: number; affinity: number } };

describe("the ranked feed", () => {
  const clock = new ManualClock();
  let t: TestNode;
  before(async () => {
    t = await startTestNode({}, { now: clock.now });
  });
  after(() => t.stop());

  const feed = (who: Account, query: string) =>
    api<Page<Ranked>>(t.url, "GET", `/api/feed${query}`, { token: who.token });

  it("ranks by engagement and affinity over recency, explains each score, and keeps chronological the default", async () => {
    const [reader, quiet, loved, friend] = [
      await signup(t.url),
      await signup(t.url),
      await signup(t.url),
      await signup(t.url),
    ];
    for (const author of [quiet, loved, friend]) {
      await api(t.url, "POST", `/api/users/${author.username}/follow`, { token: reader.token });
    }
    // The reader has liked and commented on the friend's posts before: affinity.
    const earlier = await createPost(t.url, friend, "earlier");
    await api(t.url, "POST", `/api/posts/${earlier.id}/like`, { token: reader.token });
    await api(t.url, "POST", `/api/posts/${earlier.id}/comments`, {
      token: reader.token,
      body: { text: "ha" },
    });
    const hot = await createPost(t.url, loved, "everyone likes this");
    const fans = await Promise.all(Array.from({ length: 6 }, () => signup(t.url)));
    for (const fan of fans) await api(t.url, "POST", `/api/posts/${hot.id}/like`, { token: fan.token });
    const friendly = await createPost(t.url, friend, "from a friend");
    const newest = await createPost(t.url, quiet, "newest, nobody cares");
    await eventually(async () => (await feed(reader, "")).body.items.length === 4, "four posts in the feed");

    const chronological = (await feed(reader, "")).body.items.map((p) => p.id);
    expect(chronological).to.deep.equal([newest.id, friendly.id, hot.id, earlier.id]);
    expect((await feed(reader, "")).body.items[0]).not.to.have.property("rank");

    const ranked = await feed(reader, "?order=ranked&explain=1");
    expect(ranked.status, ranked.text).to.equal(200);
    const ids = ranked.body.items.map((p) => p.id);
    expect(ids.indexOf(hot.id), "engagement lifts the liked post above newer ones").to.be.below(
      ids.indexOf(newest.id),
    );
    expect(ids.indexOf(friendly.id), "affinity lifts the friend's post above a newer one").to.be.below(
      ids.indexOf(newest.id),
    );
    const totals = ranked.body.items.map((p) => p.rank?.total ?? -1);
    expect(totals).to.deep.equal([...totals].sort((a, b) => b - a));
    for (const post of ranked.body.items) {
      const rank = post.rank;
      if (!rank) throw new Error("a ranked post without its terms");
      expect(rank.total).to.be.closeTo(rank.recency + rank.engagement + rank.affinity, 0.001);
    }
    const byId = new Map(ranked.body.items.map((p) => [p.id, p.rank]));
    expect(byId.get(hot.id)?.engagement).to.be.greaterThan(byId.get(newest.id)?.engagement ?? 0);
    expect(byId.get(friendly.id)?.affinity).to.be.greaterThan(0);
    expect(byId.get(newest.id)?.affinity).to.equal(0);
    expect((await feed(reader, "?order=ranked")).body.items[0], "terms only when asked").not.to.have.property(
      "rank",
    );
  });

  it("pages one ranking: no post repeated or skipped while scores move, until the ranking expires", async () => {
    const reader = await signup(t.url);
    const authors = await Promise.all(Array.from({ length: 3 }, () => signup(t.url)));
    for (const author of authors) {
      await api(t.url, "POST", `/api/users/${author.username}/follow`, { token: reader.token });
    }
    const posts: PostView[] = [];
    for (const author of authors)
      for (let i = 0; i < 2; i++) posts.push(await createPost(t.url, author, `post ${i}`));
    await eventually(
      async () => (await feed(reader, "?limit=50")).body.items.length === 6,
      "six posts in the feed",
    );

    // The post the ranking puts last, read first: a new first page replaces the reader's ranking.
    const last = (await feed(reader, "?order=ranked&limit=50")).body.items.at(-1);
    const first = await feed(reader, "?order=ranked&limit=2");
    const seen = first.body.items.map((p) => p.id);
    // Scores move under the reader: the last-ranked post gets liked a lot.
    const fans = await Promise.all(Array.from({ length: 5 }, () => signup(t.url)));
    for (const fan of fans) await api(t.url, "POST", `/api/posts/${last?.id}/like`, { token: fan.token });
    let cursor = first.body.nextCursor;
    while (cursor !== null) {
      const page = await feed(reader, `?order=ranked&limit=2&cursor=${encodeURIComponent(cursor)}`);
      expect(page.status, page.text).to.equal(200);
      seen.push(...page.body.items.map((p) => p.id));
      cursor = page.body.nextCursor;
    }
    expect(seen).to.have.length(6);
    expect(new Set(seen)).to.deep.equal(new Set(posts.map((p) => p.id)));

    const again = await feed(reader, "?order=ranked&limit=2");
    const newer = await feed(reader, "?order=ranked&limit=2");
    const replaced = await feed(
      reader,
      `?order=ranked&limit=2&cursor=${encodeURIComponent(again.body.nextCursor ?? "")}`,
    );
    expect(replaced.status, "a newer first page replaces the ranking").to.equal(400);
    clock.advance(11 * 60_000);
    const expired = await api<{ error: { code: string } }>(
      t.url,
      "GET",
      `/api/feed?order=ranked&limit=2&cursor=${encodeURIComponent(newer.body.nextCursor ?? "")}`,
      { token: reader.token },
    );
    expect([expired.status, expired.body.error.code]).to.deep.equal([400, "CURSOR_EXPIRED"]);
  });

  it("refuses a ranking that is someone else's, and a cursor or order that is not one", async () => {
    const [reader, other, author] = [await signup(t.url), await signup(t.url), await signup(t.url)];
    for (const who of [reader, other])
      await api(t.url, "POST", `/api/users/${author.username}/follow`, { token: who.token });
    for (let i = 0; i < 3; i++) await createPost(t.url, author, `p${i}`);
    await eventually(async () => (await feed(reader, "")).body.items.length === 3, "the posts in the feed");
    const mine = await feed(reader, "?order=ranked&limit=1");
    const theirs = await feed(
      other,
      `?order=ranked&limit=1&cursor=${encodeURIComponent(mine.body.nextCursor ?? "")}`,
    );
    expect(theirs.status).to.equal(400);
    for (const query of ["?order=best", "?order=ranked&explain=maybe", "?order=ranked&cursor=abc:1"]) {
      expect((await feed(reader, query)).status, query).to.equal(400);
    }
  });
});

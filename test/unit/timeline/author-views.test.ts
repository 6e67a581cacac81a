import { expect } from "chai";
import type { UserView } from "../../../lib/accounts/user-view";
import { AuthorViews } from "../../../lib/timeline/author-views";

const profileOf = (id: string, followers = 0): UserView => ({
  id,
  username: `u${id}`,
  displayName: `U ${id}`,
  bio: "",
  avatarUrl: null,
  isPrivate: false,
  createdAt: new Date(0).toISOString(),
  counts: { followers, following: 0, posts: 0 },
});

describe("AuthorViews", () => {
  let clock = 0;
  let loads = 0;
  const follows = new Set(["2>1"]);
  const back = (viewer: string, author: string) => () => Promise.resolve(follows.has(`${author}>${viewer}`));
  const load =
    (id: string, followers = 0) =>
    () => {
      loads++;
      return Promise.resolve<UserView | undefined>(profileOf(id, followers));
    };

  beforeEach(() => {
    clock = 0;
    loads = 0;
  });

  it("shows a followed author with the relationship the feed established and whether they follow back", async () => {
    const views = new AuthorViews({ now: () => clock });
    expect((await views.ofFollowed("1", "2", load("2"), back("1", "2")))?.relationship).to.deep.equal({
      following: true,
      followedBy: true,
      requested: false,
      blocking: false,
    });
    expect((await views.ofFollowed("1", "3", load("3"), back("1", "3")))?.relationship).to.deep.include({
      followedBy: false,
    });
  });

  it("shows the viewer's own posts without a relationship", async () => {
    const views = new AuthorViews({ now: () => clock });
    const self = await views.ofFollowed("1", "1", load("1"), back("1", "1"));
    expect(self?.id).to.equal("1");
    expect(self).to.not.have.property("relationship");
  });

  it("shares one profile load among readers until it is older than its time to live", async () => {
    const views = new AuthorViews({ ttlMs: 1_000, now: () => clock });
    await Promise.all([
      views.ofFollowed("1", "2", load("2"), back("1", "2")),
      views.ofFollowed("3", "2", load("2"), back("3", "2")),
    ]);
    expect(loads).to.equal(1);
    clock = 1_001;
    const fresh = await views.ofFollowed("1", "2", load("2", 7), back("1", "2"));
    expect(loads).to.equal(2);
    expect(fresh?.counts.followers).to.equal(7);
  });

  it("forgets a failed load, so that the next reader tries again", async () => {
    const views = new AuthorViews({ now: () => clock });
    const failing = (): Promise<UserView | undefined> => Promise.reject(new Error("store down"));
    await Promise.resolve(views.ofFollowed("1", "2", failing, back("1", "2"))).then(
      () => expect.fail("should have failed"),
      (err: unknown) => expect((err as Error).message).to.equal("store down"),
    );
    expect((await views.ofFollowed("1", "2", load("2"), back("1", "2")))?.id).to.equal("2");
  });
  it("hands every follower the same view while the profile is kept, and answers at once once it is loaded", async () => {
    const views = new AuthorViews({ now: () => clock });
    const known = (answer: boolean) => () => answer;
    const first = await views.ofFollowed("1", "2", load("2"), known(false));
    // Loaded and kept now, with the answer known: no promise at all.
    const second = views.ofFollowed("3", "2", load("2"), known(false));
    expect(second).to.not.be.instanceOf(Promise);
    expect(second).to.equal(first);
    const followedBack = views.ofFollowed("4", "2", load("2"), known(true));
    expect(followedBack).to.not.equal(first);
    expect((followedBack as UserView).relationship?.followedBy).to.equal(true);
    expect(views.ofFollowed("5", "2", load("2"), known(true))).to.equal(followedBack);
    expect(loads).to.equal(1);
    // Once the profile is read again, a new view: it may say something else.
    clock = 10_000;
    const later = await views.ofFollowed("3", "2", load("2", 9), known(false));
    expect(later).to.not.equal(first);
    expect(later?.counts.followers).to.equal(9);
  });
});

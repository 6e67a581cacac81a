import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { AccessTokens, Accounts, accountTables } from "../../../lib/accounts";
import { MemoryCache } from "../../../lib/cache/memory";
import { SnowflakeGenerator } from "../../../lib/ids";
import { LevelStore } from "../../../lib/store/level";

describe("Accounts: avatar URLs", () => {
  let dir: string;
  let store: LevelStore;
  let now = Date.parse("2026-12-05T12:00:00Z");
  /** What the media service answers, and how often it was asked. */
  let answer: { url: string | null } = { url: null };
  let asked = 0;

  const node = () =>
    new Accounts({
      store,
      ids: new SnowflakeGenerator({ workerId: 2 }),
      tokens: new AccessTokens("k".repeat(48), 3600, () => now),
      avatars: {
        avatarOf: () => {
          asked++;
          return Promise.resolve(answer);
        },
      },
      relationships: {
        relationship: () =>
          Promise.resolve({
            following: false,
            followedBy: false,
            requested: false,
            blocking: false,
            blockedBy: false,
          }),
      },
      avatarCache: { cache: new MemoryCache({ maxEntries: 1_000, now: () => now }), ttlMs: 60_000 },
      now: () => now,
    });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-avatars-"));
    store = new LevelStore({ path: path.join(dir, "db") });
    await store.open(accountTables);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("asks the media service once per avatar and privacy, never keeps one still processing, and expires", async () => {
    const users = node();
    const { user } = await users.signup({
      username: "cy",
      email: "cy@example.com",
      password: "correct horse",
    });
    answer = { url: null }; // processing
    await users.updateMe(user.id, { avatarMediaId: "7777777" });
    asked = 0;
    expect((await users.view(undefined, user.id))?.avatarUrl).to.equal(null);
    answer = { url: "https://m.example/avatar/small.webp" }; // ready
    expect((await users.view(undefined, user.id))?.avatarUrl).to.equal(answer.url);
    expect((await users.view(undefined, user.id))?.avatarUrl).to.equal(answer.url);
    expect(asked).to.equal(2);
    // Going private asks again: a private avatar's URL is signed, the public one stops being served.
    answer = { url: "https://m.example/avatar/small.webp?sig=1" };
    asked = 0;
    expect((await users.updateMe(user.id, { isPrivate: true })).avatarUrl).to.equal(answer.url);
    expect((await users.view(undefined, user.id))?.avatarUrl).to.equal(answer.url);
    expect(asked).to.equal(1);
    now += 60_001;
    await users.view(undefined, user.id);
    expect(asked).to.equal(2);
  });
});

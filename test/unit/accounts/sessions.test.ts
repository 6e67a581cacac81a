import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  AccessTokens,
  Accounts,
  accountTables,
  type SignedIn,
  type VerificationPending,
} from "../../../lib/accounts";
import { UnauthorizedError } from "../../../lib/errors";
import { SnowflakeGenerator } from "../../../lib/ids";
import { LevelStore } from "../../../lib/store/level";

describe("Accounts: sessions", () => {
  let dir: string;
  let store: LevelStore;
  let reads = 0;
  let now = Date.parse("2026-12-05T12:00:00Z");
  const node = () =>
    new Accounts({
      store,
      ids: new SnowflakeGenerator({ workerId: 1 }),
      tokens: new AccessTokens("k".repeat(48), 3600, () => now),
      avatars: { avatarOf: () => Promise.resolve(undefined) },
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
      now: () => now,
    });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-sessions-"));
    store = new LevelStore({ path: path.join(dir, "db") });
    await store.open(accountTables);
    // Counts the store's point reads, which is what authenticating should not cost every time.
    const get = store.get.bind(store);
    store.get = ((...args: Parameters<typeof store.get>) => {
      reads++;
      return get(...args);
    }) as typeof store.get;
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("reads a session once, then takes it as live without reading it again", async () => {
    const users = node();
    const { token } = signedIn(
      await users.signup({
        username: "ada",
        email: "ada@example.com",
        password: "correct horse",
      }),
    );
    reads = 0;
    const caller = await users.authenticate(token);
    expect(reads).to.equal(1);
    for (let i = 0; i < 5; i++) expect(await users.authenticate(token)).to.deep.equal(caller);
    expect(reads).to.equal(1);
    // Past the cache's life the session is read again.
    now += 31_000;
    await users.authenticate(token);
    expect(reads).to.equal(2);
  });

  it("refuses a token at once after logout, on the node that logged out and on one told to forget it", async () => {
    const a = node();
    const b = node();
    const { token } = signedIn(
      await a.signup({
        username: "bob",
        email: "bob@example.com",
        password: "correct horse",
      }),
    );
    const caller = await a.authenticate(token);
    await b.authenticate(token);
    await a.logout(caller);
    b.forgetSession(caller);
    for (const users of [a, b]) {
      let refused: unknown;
      await users.authenticate(token).catch((err: unknown) => (refused = err));
      expect(refused).to.be.instanceOf(UnauthorizedError);
    }
  });
});

function signedIn(answer: SignedIn | VerificationPending): SignedIn {
  if (!("token" in answer)) throw new Error("the sign-up opened no session");
  return answer;
}

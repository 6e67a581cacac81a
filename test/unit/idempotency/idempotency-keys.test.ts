import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import {
  ANSWER_TTL_SECONDS,
  IdempotencyKeyInFlightError,
  IdempotencyKeyReusedError,
  IdempotencyKeys,
  idempotencyKeys,
  idempotencyTables,
  isRecordable,
  type Claim,
  type KeyedRequest,
  type Outcome,
} from "../../../lib/idempotency";
import { LevelStore } from "../../../lib/store/level";
import { rejectionOf } from "../../support/rejections";

const CLAIM_SECONDS = 30;

describe("IdempotencyKeys (on the embedded store)", () => {
  let dir: string;
  let now: number;
  let store: LevelStore;
  let keys: IdempotencyKeys;
  let counter = 0;

  const request = (overrides: Partial<KeyedRequest> = {}): KeyedRequest => ({
    userId: "1001",
    key: `key-${++counter}`,
    fingerprint: "f".repeat(64),
    ...overrides,
  });
  const claimOf = (outcome: Outcome): Claim => {
    if (outcome.kind !== "run") throw new Error(`expected to run, got a ${outcome.kind}`);
    return outcome.claim;
  };
  const answer = { status: 201, body: '{"id":"42"}', location: "/api/posts/42" };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-idempotency-"));
    now = Date.UTC(2030, 0, 1);
    store = new LevelStore({ path: path.join(dir, "db"), now: () => now });
    await store.open([...idempotencyTables]);
    keys = new IdempotencyKeys({ store, claimSeconds: CLAIM_SECONDS });
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lets the first request run, then replays its answer to the same request", async () => {
    const first = request();
    const claim = claimOf(await keys.begin(first));
    expect(await keys.complete(claim, answer)).to.equal(true);
    expect(await keys.begin(first)).to.deep.equal({ kind: "replay", answer });
    expect(await keys.begin({ ...first })).to.deep.equal({ kind: "replay", answer });
  });

  it("refuses the same key for another request (422), in flight or done", async () => {
    const first = request();
    const claim = claimOf(await keys.begin(first));
    const other = { ...first, fingerprint: "0".repeat(64) };
    expect(await rejectionOf(keys.begin(other))).to.be.instanceOf(IdempotencyKeyReusedError);
    await keys.complete(claim, answer);
    const error = await rejectionOf(keys.begin(other));
    expect(error).to.be.instanceOf(IdempotencyKeyReusedError);
    expect(error).to.include({ status: 422, code: "IDEMPOTENCY_KEY_REUSED" });
  });

  it("answers 409 while the first request with the key is in flight", async () => {
    const first = request();
    claimOf(await keys.begin(first));
    const error = await rejectionOf(keys.begin(first));
    expect(error).to.be.instanceOf(IdempotencyKeyInFlightError);
    expect(error).to.include({ status: 409, code: "IDEMPOTENCY_KEY_IN_FLIGHT" });
  });

  it("lets exactly one of concurrent requests with one key run", async () => {
    const same = request();
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => keys.begin(same)));
    const ran = outcomes.filter((o) => o.status === "fulfilled" && o.value.kind === "run");
    const inFlight = outcomes.filter(
      (o) => o.status === "rejected" && o.reason instanceof IdempotencyKeyInFlightError,
    );
    expect(ran).to.have.length(1);
    expect(inFlight).to.have.length(7);
  });

  it("keeps keys per user", async () => {
    const mine = request({ userId: "1001" });
    claimOf(await keys.begin(mine));
    claimOf(await keys.begin({ ...mine, userId: "1002" }));
  });

  it("frees a released key, so a retry runs", async () => {
    const first = request();
    const claim = claimOf(await keys.begin(first));
    expect(await keys.release(claim)).to.equal(true);
    claimOf(await keys.begin(first));
    expect(await keys.release(claim)).to.equal(false);
  });

  it("frees the key of a request that never finished once its claim expires (a crashed node)", async () => {
    const first = request();
    const lost = claimOf(await keys.begin(first));
    now += (CLAIM_SECONDS - 1) * 1000;
    expect(await rejectionOf(keys.begin(first))).to.be.instanceOf(IdempotencyKeyInFlightError);
    now += 2000;
    const next = claimOf(await keys.begin(first));
    expect(next.claimId).to.not.equal(lost.claimId);
    // The request that lost its claim cannot overwrite or free the key its successor holds.
    expect(await keys.complete(lost, { status: 201, body: "stale", location: undefined })).to.equal(false);
    expect(await keys.release(lost)).to.equal(false);
    expect(await keys.complete(next, answer)).to.equal(true);
    expect(await keys.begin(first)).to.deep.equal({ kind: "replay", answer });
  });

  it("keeps a renewed claim past its first TTL", async () => {
    const first = request();
    const claim = claimOf(await keys.begin(first));
    now += (CLAIM_SECONDS - 5) * 1000;
    expect(await keys.renew(claim)).to.equal(true);
    now += (CLAIM_SECONDS - 5) * 1000;
    expect(await rejectionOf(keys.begin(first))).to.be.instanceOf(IdempotencyKeyInFlightError);
    now += 10_000;
    expect(await keys.renew(claim)).to.equal(false);
  });

  it("renews a held claim on its own until stopped", async () => {
    const first = request();
    const claim = claimOf(await keys.begin(first));
    let renewed = 0;
    const counting = new IdempotencyKeys({ store, claimSeconds: CLAIM_SECONDS, renewEveryMs: 20 });
    const renew = counting.renew.bind(counting);
    counting.renew = (c: Claim) => {
      renewed++;
      return renew(c);
    };
    const problems: string[] = [];
    now += 25_000;
    const held = counting.hold(claim, (message) => problems.push(message));
    await sleep(110);
    held.stop();
    const whileHeld = renewed;
    await sleep(60);
    expect(whileHeld).to.be.at.least(2);
    expect(renewed).to.equal(whileHeld);
    expect(problems).to.deep.equal([]);
    // Renewed 25 s in, the claim outlives its first 30 s.
    now += (CLAIM_SECONDS - 1) * 1000;
    expect(await rejectionOf(keys.begin(first))).to.be.instanceOf(IdempotencyKeyInFlightError);
  });

  it("stops renewing a claim it lost, and one held too long", async () => {
    const lostClaim = claimOf(await keys.begin(request()));
    await keys.release(lostClaim);
    const quick = new IdempotencyKeys({
      store,
      claimSeconds: CLAIM_SECONDS,
      renewEveryMs: 10,
      maxHoldMs: 40,
    });
    const problems: string[] = [];
    quick.hold(lostClaim, (message) => problems.push(message));
    quick.hold(claimOf(await keys.begin(request())), (message) => problems.push(message));
    await sleep(120);
    expect(problems).to.have.members([
      "an idempotency claim was lost while its request ran",
      "an idempotency claim was held too long; it is left to expire",
    ]);
  });

  it("keeps an answer for a day, the claim's short TTL included", async () => {
    const first = request();
    const claim = claimOf(await keys.begin(first));
    await keys.complete(claim, answer);
    now += (ANSWER_TTL_SECONDS - 60) * 1000;
    expect((await keys.begin(first)).kind).to.equal("replay");
    now += 120_000;
    claimOf(await keys.begin(first));
  });

  it("records a client error for replay but frees the key after a 5xx, a 429 or a 408 (Stripe's rule)", async () => {
    expect([200, 201, 400, 403, 404, 409, 413, 415, 422].every(isRecordable)).to.equal(true);
    expect([408, 429, 500, 502, 503, 504].some(isRecordable)).to.equal(false);

    const refused = request();
    const envelope = { status: 400, body: '{"error":{"code":"VALIDATION_FAILED"}}' };
    expect(await keys.settle(claimOf(await keys.begin(refused)), envelope)).to.equal(true);
    expect(await keys.begin(refused)).to.deep.equal({
      kind: "replay",
      answer: { ...envelope, location: undefined },
    });

    for (const status of [503, 429]) {
      const retried = request();
      await keys.settle(claimOf(await keys.begin(retried)), { status, body: "{}" });
      expect(
        await store.get(idempotencyKeys, { user_id: retried.userId, idempotency_key: retried.key }),
      ).to.equal(undefined);
      claimOf(await keys.begin(retried));
    }
  });
});

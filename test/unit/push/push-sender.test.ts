import { expect } from "chai";
import { PushSender, type PushOutcome } from "../../../lib/push/push-sender";
import type { PushTarget } from "../../../lib/push/subscriptions";

const target = (id: string): PushTarget => ({
  id,
  endpoint: `https://push.example/${id}`,
  keys: { p256dh: "p", auth: "a" },
  kinds: ["likes"],
});

describe("PushSender", () => {
  const make = (answers: Map<string, (number | Error)[]>, overrides: { maxQueued?: number } = {}) => {
    const outcomes: PushOutcome[] = [];
    const expired: string[] = [];
    const sent: string[] = [];
    const attempts: number[] = [];
    const sender = new PushSender({
      transport: {
        send(t) {
          attempts.push(Date.now());
          const next = answers.get(t.id)?.shift() ?? 201;
          if (next instanceof Error) return Promise.reject(next);
          if (next === 201) sent.push(t.id);
          return Promise.resolve({ statusCode: next, ...(next === 429 && { retryAfterSeconds: 0 }) });
        },
      },
      expired: (userId, id) => {
        expired.push(`${userId}/${id}`);
        return Promise.resolve();
      },
      maxQueued: overrides.maxQueued ?? 100,
      concurrency: 2,
      maxAttempts: 3,
      backoffMs: 5,
      onOutcome: (o) => outcomes.push(o),
    });
    return { sender, outcomes, expired, sent, attempts };
  };

  it("retries a network failure and a 5xx with backoff until accepted, then gives up after the last try", async () => {
    const { sender, outcomes, sent } = make(
      new Map<string, (number | Error)[]>([
        ["flaky", [new Error("ECONNRESET"), 503]],
        ["down", [500, 502, 503, 504]],
      ]),
    );
    sender.enqueue("u1", target("flaky"), "{}");
    sender.enqueue("u1", target("down"), "{}");
    expect(await sender.idle()).to.equal(true);
    expect(sent).to.deep.equal(["flaky"]);
    expect(outcomes.sort()).to.deep.equal(["failed", "sent"]);
  });

  it("removes a subscription answered 404 or 410, and drops one refused outright without retrying", async () => {
    const { sender, outcomes, expired, attempts } = make(
      new Map<string, (number | Error)[]>([
        ["gone", [410]],
        ["missing", [404]],
        ["bad", [400]],
      ]),
    );
    for (const id of ["gone", "missing", "bad"]) sender.enqueue("u2", target(id), "{}");
    expect(await sender.idle()).to.equal(true);
    expect(expired.sort()).to.deep.equal(["u2/gone", "u2/missing"]);
    expect(outcomes.sort()).to.deep.equal(["expired", "expired", "rejected"]);
    expect(attempts).to.have.length(3);
  });

  it("drops pushes past the queue's bound, and takes new ones once there is room", async () => {
    const { sender, outcomes } = make(new Map(), { maxQueued: 2 });
    expect(sender.enqueue("u", target("a"), "{}")).to.equal(true);
    expect(sender.enqueue("u", target("b"), "{}")).to.equal(true);
    expect(sender.enqueue("u", target("c"), "{}")).to.equal(false);
    expect(await sender.idle()).to.equal(true);
    expect(sender.enqueue("u", target("d"), "{}")).to.equal(true);
    expect(await sender.idle()).to.equal(true);
    expect(outcomes.filter((o) => o === "dropped")).to.have.length(1);
    expect(outcomes.filter((o) => o === "sent")).to.have.length(3);
  });

  it("sends nothing more once stopped", async () => {
    const { sender, sent } = make(new Map<string, (number | Error)[]>([["x", [503]]]));
    sender.enqueue("u", target("x"), "{}");
    await new Promise((r) => setTimeout(r, 1));
    sender.stop();
    expect(sender.enqueue("u", target("y"), "{}")).to.equal(false);
    await new Promise((r) => setTimeout(r, 30));
    expect(sent).to.deep.equal([]);
  });
});

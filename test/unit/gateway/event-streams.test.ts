import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { expect } from "chai";
import { EventStreams, type EventStreamOptions } from "../../../services/gateway/event-streams";
import type { StreamEvent } from "../../../lib/stream/events";

/** Just enough of a ServerResponse to see what a stream writes. */
class FakeResponse extends EventEmitter {
  text = "";
  writableEnded = false;
  destroyed = false;
  writableLength = 0;
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  end(): void {
    this.writableEnded = true;
    this.emit("close");
  }
  destroy(): void {
    this.destroyed = true;
    this.emit("close");
  }
  /** The `id:` and `event:` of every event written, in order. */
  events(): { id: string; event: string }[] {
    return [...this.text.matchAll(/^id: (\d+)\nevent: (\w+)\n/gm)].map((m) => ({ id: m[1]!, event: m[2]! }));
  }
}

const note = (id: number): StreamEvent => ({
  id: String(id),
  event: "notification",
  data: {
    id: String(id),
    type: "follow",
    actor: {
      id: "1",
      username: "someone",
      displayName: "",
      bio: "",
      avatarUrl: null,
      isPrivate: false,
      createdAt: new Date(0).toISOString(),
      counts: { followers: 0, following: 0, posts: 0 },
    },
    createdAt: new Date(0).toISOString(),
    read: false,
  },
});

function streams(overrides: Partial<EventStreamOptions> = {}): EventStreams {
  return new EventStreams({
    maxPerUser: 5,
    heartbeatMs: 60_000,
    replayBatch: 3,
    replay: () => Promise.resolve([]),
    mintId: () => Promise.resolve("1000"),
    onError: () => undefined,
    ...overrides,
  });
}

const caller = { userId: "7", sessionId: "70" };
const asResponse = (res: FakeResponse) => res as unknown as ServerResponse;

describe("EventStreams", () => {
  it("replays in batches until a short one, then sends held live events it did not replay", async () => {
    const log = [101, 102, 103, 104, 105].map(note);
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const s = streams({
      replay: async (_userId, afterId) => {
        calls.push(afterId);
        if (calls.length === 1) await gate;
        return log.filter((e) => BigInt(e.id) > BigInt(afterId)).slice(0, 3);
      },
    });
    const res = new FakeResponse();
    const opening = s.open(asResponse(res), caller, "100");
    // Live while the replay runs: one the log also holds (logged, then published), and a new one.
    s.deliver({ userIds: ["7"], event: note(105) });
    s.deliver({ userIds: ["7"], event: note(106) });
    release();
    await opening;
    expect(calls).to.deep.equal(["100", "103"]);
    expect(res.events().map((e) => e.id)).to.deep.equal(["101", "102", "103", "104", "105", "106"]);

    // The live copy of a replayed event that comes a moment later is not sent again.
    s.deliver({ userIds: ["7"], event: note(104) });
    expect(res.events()).to.have.length(6);
  });

  it("reports each live event it writes, never a replayed one nor one it skips", async () => {
    const delivered: string[] = [];
    const s = streams({
      replay: (_userId, afterId) => Promise.resolve(afterId === "100" ? [note(101)] : []),
      delivered: (event) => delivered.push(event.id),
    });
    const res = new FakeResponse();
    await s.open(asResponse(res), caller, "100");
    s.deliver({ userIds: ["7"], event: note(101) }); // the live copy of the replayed one: not written
    s.deliver({ userIds: ["7"], event: note(102) });
    s.deliver({ userIds: ["8"], event: note(103) }); // nobody of that user here
    expect(res.events().map((e) => e.id)).to.deep.equal(["101", "102"]);
    expect(delivered).to.deep.equal(["102"]);
  });

  it("gives feed events the id to resume from, not their own", async () => {
    const s = streams();
    const res = new FakeResponse();
    await s.open(asResponse(res), caller, undefined);
    s.deliver({ userIds: ["7"], event: { id: "5", event: "feed", data: { postId: "5" } } });
    s.deliver({ userIds: ["7"], event: note(1001) });
    s.deliver({ userIds: ["7"], event: { id: "6", event: "feed", data: { postId: "6" } } });
    expect(res.events()).to.deep.equal([
      { id: "1000", event: "feed" },
      { id: "1001", event: "notification" },
      { id: "1001", event: "feed" },
    ]);
  });

  it("ends the stream when the replay fails, so that the client reconnects from the same id", async () => {
    const s = streams({ replay: () => Promise.reject(new Error("inbox down")) });
    const res = new FakeResponse();
    await s.open(asResponse(res), caller, "100");
    expect(res.writableEnded).to.equal(true);
    expect(s.openCount("7")).to.equal(0);
  });

  it("writes only to the users named, and cuts off a client that stops reading", async () => {
    const s = streams();
    const [mine, theirs] = [new FakeResponse(), new FakeResponse()];
    await s.open(asResponse(mine), caller, undefined);
    await s.open(asResponse(theirs), { userId: "8", sessionId: "80" }, undefined);
    s.deliver({ userIds: ["8"], event: note(1002) });
    expect(mine.events()).to.deep.equal([]);
    expect(theirs.events()).to.have.length(1);

    theirs.writableLength = 2 << 20;
    s.deliver({ userIds: ["8"], event: note(1003) });
    expect(theirs.destroyed).to.equal(true);
    expect(s.openCount("8")).to.equal(0);
  });

  it("on shutdown, tells each stream when to reconnect and from which id, then ends it", async () => {
    const s = streams();
    const [fresh, resumed] = [new FakeResponse(), new FakeResponse()];
    await s.open(asResponse(fresh), caller, undefined);
    await s.open(asResponse(resumed), { userId: "8", sessionId: "80" }, "900");
    s.deliver({ userIds: ["8"], event: note(1002) });
    s.closeAll({ reconnect: true });

    for (const [res, resumeFrom] of [
      [fresh, "1000"],
      [resumed, "1002"],
    ] as const) {
      expect(res.writableEnded).to.equal(true);
      const last = res.text.split("\n\n").filter(Boolean).pop()!;
      // One block: a comment, a reconnection delay browsers' EventSource uses, and the id it sends back.
      expect(last).to.match(/^: reconnect/m);
      expect(Number(/^retry: (\d+)$/m.exec(last)?.[1])).to.be.within(500, 2_500);
      expect(/^id: (\d+)$/m.exec(last)?.[1]).to.equal(resumeFrom);
    }
    expect(s.openCount()).to.equal(0);
  });

  it("after a shutdown, answers a new stream with the hint at once instead of keeping it open", async () => {
    const s = streams();
    s.closeAll({ reconnect: true });
    const res = new FakeResponse();
    await s.open(asResponse(res), caller, "900");
    expect(res.writableEnded).to.equal(true);
    expect(res.text)
      .to.match(/^retry: \d+$/m)
      .and.match(/^id: 900$/m);
    expect(s.openCount()).to.equal(0);
  });

  it("closes without a hint when the gateway alone is stopped", async () => {
    const s = streams();
    const res = new FakeResponse();
    await s.open(asResponse(res), caller, undefined);
    s.closeAll();
    expect(res.writableEnded).to.equal(true);
    expect(res.text).to.not.match(/retry:/);
    const next = new FakeResponse();
    await s.open(asResponse(next), caller, undefined);
    expect(next.writableEnded).to.equal(false);
  });
});

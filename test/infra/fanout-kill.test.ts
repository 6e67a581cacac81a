import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { randomListenPort } from "../support/free-port";
import { AccessTokens } from "../../lib/accounts/access-tokens";
import { accountTables, sessions, usernames, users } from "../../lib/accounts/tables";
import { Graph, graphTables } from "../../lib/graph";
import { SnowflakeGenerator } from "../../lib/ids";
import type { MediaView } from "../../lib/media-library/media-view";
import type { PostView } from "../../lib/posts/posts";
import type { WideRowStore } from "../../lib/store/store";
import { fanoutJobs, homeTimeline, timeline } from "../../lib/timeline/tables";
import { dropTestKeyspace, testCassandraStore } from "../support/cassandra";
import { NodeProcesses, type NodeProcess } from "../support/node-processes";
import { api } from "../support/test-node";
import { ownerAmong } from "../../broker/owner-strategy";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
/** Issue #9 asks for 10,000; FANOUT_KILL_FOLLOWERS makes a quicker local run. */
const FOLLOWERS = Number(process.env.FANOUT_KILL_FOLLOWERS ?? 10_000);
const TIMELINE_NODES = ["t1", "t2", "t3"] as const;

/**
 * SIGKILL mid-fan-out on a cluster (issue #9): a front node (gateway, accounts, graph, posts, media, inbox…)
 * and three timeline nodes over the real NATS on Cassandra; an author with 10,000 followers posts, and a node is
 * killed while the post fans out, then restarted. Five rounds, each killing another role: the node running the
 * fan-out, a timeline node that only owns followers, the runner and then the node that resumes it, the front
 * node, and the runner again left dead until the post has settled. After each, every follower's feed, read through
 * the gateway, holds every post so far exactly once. Prints lost and duplicated counts and the time from the kill
 * until no fan-out job is left. FANOUT_KILL_LOG_DIR=<folder> keeps every node's log there.
 */
describe("fan-out survives SIGKILL of any node role", function () {
  this.timeout(1_200_000);
  const namespace = `fk-${process.pid}-${Date.now().toString(36)}`;
  const keyspace = `mosaic_fk_${Date.now().toString(36)}`;
  const secret = "fanout-kill-secret-".padEnd(48, "x");
  let dataDir: string;
  let url: string;
  let store: WideRowStore;
  const port = String(randomListenPort());

  const cluster = new NodeProcesses(() => ({
    TRANSPORTER: NATS_URL,
    NAMESPACE: namespace,
    STORE: "cassandra",
    CASSANDRA_KEYSPACE: keyspace,
    JWT_SECRET: secret,
    DATA_DIR: dataDir,
    RATE_LIMITS: "off",
    LOG_LEVEL: "info",
    // Pages small enough that a kill lands mid-way through 10,000 followers.
    FANOUT_PAGE_SIZE: "100",
    // 10,000 followers would make the author a celebrity (pulled at read time, nothing fanned out).
    CELEBRITY_THRESHOLD: "1000000",
  }));
  const roles: Record<string, Record<string, string>> = {
    front: {
      SERVICES: "gateway,users,graph,posts,media,transcoder,interactions,stories,inbox,search,discovery",
      WORKER_ID: "1",
      PORT: port,
    },
    t1: { SERVICES: "timeline", WORKER_ID: "2", PORT: "0" },
    t2: { SERVICES: "timeline", WORKER_ID: "3", PORT: "0" },
    t3: { SERVICES: "timeline", WORKER_ID: "4", PORT: "0" },
  };
  /** The live process of each role. */
  const live = new Map<string, NodeProcess>();
  const start = (role: string) => {
    const proc = cluster.start(role, roles[role] ?? {});
    live.set(role, proc);
    return proc;
  };
  const waitFor = (check: () => Promise<boolean> | boolean, ms: number, what: string) =>
    cluster.waitFor(check, ms, what);
  const ready = () =>
    fetch(`${url}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
  const kill = async (role: string) => {
    const proc = live.get(role);
    if (proc === undefined) throw new Error(`no live ${role}`);
    proc.child.kill("SIGKILL");
    await once(proc.child, "exit");
    live.delete(role);
  };
  const restart = async (role: string) => {
    const proc = start(role);
    await waitFor(() => proc.log.includes("started successfully"), 120_000, `${role} to start again`);
    await waitFor(ready, 60_000, "the gateway to be ready again");
  };

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-fk-"));
    url = `http://127.0.0.1:${port}`;
    for (const role of Object.keys(roles)) start(role);
    await waitFor(ready, 180_000, "the cluster to be ready");
    store = testCassandraStore(keyspace, "seeder");
    await store.open([...accountTables, ...graphTables, fanoutJobs, timeline]);
  });

  after(async () => {
    await cluster.stopAll(0);
    // Every node's log, for reading what happened around a failure.
    const logDir = process.env.FANOUT_KILL_LOG_DIR;
    if (logDir !== undefined) {
      for (const [i, p] of cluster.procs.entries())
        await writeFile(path.join(logDir, `${i}-${p.name}.log`), p.log);
    }
    await store?.close();
    await dropTestKeyspace(keyspace);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("leaves every follower's feed with every post exactly once, whichever node dies", async () => {
    const author = await api<{ token: string; user: { id: string } }>(url, "POST", "/api/auth/signup", {
      body: {
        username: `author_${Date.now().toString(36)}`,
        email: `a${Date.now()}@example.com`,
        password: "password1",
      },
    });
    expect(author.status, author.text).to.equal(201);
    const followers = await seedFollowers(store, author.body.user.id, secret);

    const photo = await readFile(path.resolve(__dirname, "../fixtures/image.png"));
    const publish = async (caption: string) => {
      const form = new FormData();
      form.append("file", new Blob([photo, Buffer.from(caption)], { type: "image/png" }), "a.png");
      const upload = await fetch(`${url}/api/media`, {
        method: "POST",
        headers: { authorization: `Bearer ${author.body.token}` },
        body: form,
      });
      expect(upload.status).to.equal(201);
      const media = (await upload.json()) as MediaView;
      // Feeds show a post once its media is ready; the media pipeline's own crashes are another test's subject
      // (transcoder-failover), so the post goes out with a ready photo.
      await waitFor(
        async () =>
          (await api<MediaView>(url, "GET", `/api/media/${media.id}`, { token: author.body.token })).body
            .status === "ready",
        120_000,
        "the photo to be ready",
      );
      const res = await api<PostView>(url, "POST", "/api/posts", {
        token: author.body.token,
        body: { caption, mediaIds: [media.id] },
      });
      expect(res.status, res.text).to.equal(201);
      return res.body.id;
    };
    const jobsLeft = async () =>
      (
        await Promise.all(
          Array.from({ length: 8 }, (_, shard) => store.slice(fanoutJobs, { shard }, { limit: 10 })),
        )
      ).some((s) => s.rows.length > 0);
    /** The live timeline role whose log shows `line` for this post. */
    const roleLogging = (line: string) =>
      TIMELINE_NODES.find((role) => live.get(role)?.log.includes(line) === true);
    const runnerOf = async (postId: string) => {
      let runner: string | undefined;
      await waitFor(
        () => (runner = roleLogging(`fan-out of post ${postId} started`)) !== undefined,
        60_000,
        "a node to start the fan-out",
      );
      return runner ?? "";
    };
    /**
     * A follower's feed, read as the web client reads it: a read the gateway refused as OVERLOADED (never run) is
     * sent again after Retry-After. Fifty reads at once on a cluster sharing two cores can meet its adaptive limit.
     */
    const feedOf = async (token: string) => {
      for (let attempt = 1; ; attempt++) {
        const feed = await api<{ items: { id: string }[] }>(url, "GET", "/api/feed?limit=20", { token });
        const overloaded = feed.status === 503 && feed.text.includes('"OVERLOADED"');
        if (!overloaded || attempt === 10) return feed;
        await new Promise((r) => setTimeout(r, Number(feed.headers.get("retry-after") ?? 1) * 1000));
      }
    };
    /** Every follower's feed through the gateway: who lacks a post, who sees one twice. */
    const audit = async (postIds: readonly string[]) => {
      let lost = 0;
      let duplicated = 0;
      /** Of the posts a feed lacks, how many have their timeline row: tells a lost push from a hidden one. */
      let rowsPresent = 0;
      const lostReaders = new Set<string>();
      for (let i = 0; i < followers.length; i += 50) {
        await Promise.all(
          followers.slice(i, i + 50).map(async ({ id: followerId, token }) => {
            const feed = await feedOf(token);
            expect(feed.status, feed.text).to.equal(200);
            const got = feed.body.items.map((p) => p.id);
            for (const id of postIds) {
              const seen = got.filter((g) => g === id).length;
              if (seen === 0) {
                lost++;
                lostReaders.add(followerId);
                const row = await store.get(timeline, {
                  user_id: followerId,
                  bucket: homeTimeline.bucketOf(id),
                  post_id: id,
                });
                if (row !== undefined) rowsPresent++;
              }
              if (seen > 1) duplicated++;
            }
          }),
        );
      }
      if (lost > 0) {
        console.log(`      (of ${lost} missing from feeds, ${rowsPresent} have their timeline row)`);
        const hosts = TIMELINE_NODES.filter((r) => live.has(r)).map((r) => `${namespace}-${r}`);
        const byOwner = new Map<string, number>();
        for (const id of lostReaders) {
          const owner = ownerAmong(hosts, id) ?? "?";
          byOwner.set(owner, (byOwner.get(owner) ?? 0) + 1);
        }
        // Readers routed elsewhere than their owner cluster on one node; a lost push spreads over all.
        console.log(`      (lost readers by owner: ${JSON.stringify([...byOwner])})`);
      }
      return { lost, duplicated };
    };

    const posts: string[] = [await publish("before any crash")];
    await waitFor(async () => !(await jobsLeft()), 240_000, "the first fan-out");

    const rounds: {
      name: string;
      crash: (postId: string) => Promise<{ killedAt: number; revive: string[] }>;
    }[] = [
      {
        name: "the node running the fan-out",
        crash: async (postId) => {
          const runner = await runnerOf(postId);
          await kill(runner);
          return { killedAt: Date.now(), revive: [runner] };
        },
      },
      {
        name: "a timeline node that only owns followers",
        crash: async (postId) => {
          const runner = await runnerOf(postId);
          const owner = TIMELINE_NODES.find((r) => r !== runner && live.has(r)) ?? "";
          await kill(owner);
          return { killedAt: Date.now(), revive: [owner] };
        },
      },
      {
        name: "the runner, then the node that resumes it",
        crash: async (postId) => {
          const runner = await runnerOf(postId);
          await kill(runner);
          const killedAt = Date.now();
          // Whoever takes the job over: the resumer of a node, or another node that the front's call to
          // timeline.fanout was retried on when the runner died under it (Moleculer's retry policy).
          let resumer: string | undefined;
          const takenOverBy = () =>
            roleLogging(`resuming fan-out of post ${postId}`) ??
            TIMELINE_NODES.find(
              (role) =>
                role !== runner && live.get(role)?.log.includes(`fan-out of post ${postId} started`) === true,
            );
          await waitFor(
            () => (resumer = takenOverBy()) !== undefined,
            60_000,
            "a node to take the fan-out over",
          );
          await new Promise((r) => setTimeout(r, 200));
          const finished = (role: string) =>
            live.get(role)?.log.includes(`resumed fan-out of post ${postId}`) === true ||
            live.get(role)?.log.includes(`fan-out of post ${postId} done`) === true;
          if (resumer !== undefined && !finished(resumer)) {
            await kill(resumer);
            // Settling is timed from the last crash; the delay since the first is printed beside it.
            console.log(
              `      (round 3: the resumer was killed ${Date.now() - killedAt} ms after the runner)`,
            );
            return { killedAt: Date.now(), revive: [runner, resumer] };
          }
          return { killedAt, revive: [runner, ...(resumer === undefined ? [] : [resumer])] };
        },
      },
      {
        name: "the front node (gateway, posts, graph)",
        crash: async (postId) => {
          await runnerOf(postId);
          await kill("front");
          return { killedAt: Date.now(), revive: ["front"] };
        },
      },
      {
        name: "the runner, left dead until the post settled",
        crash: async (postId) => {
          const runner = await runnerOf(postId);
          await kill(runner);
          return { killedAt: Date.now(), revive: [] };
        },
      },
    ];

    const report: string[] = [];
    let left: string[] = [];
    for (const [i, round] of rounds.entries()) {
      const postId = await publish(`round ${i + 1}`);
      posts.push(postId);
      const { killedAt, revive } = await round.crash(postId);
      // Nodes killed in this round come back as an operator's restart would, except where the round says not.
      for (const role of revive) await restart(role);
      await waitFor(async () => !(await jobsLeft()), 240_000, `round ${i + 1}'s fan-out to settle`);
      const settledMs = Date.now() - killedAt;
      if (!live.has("front")) await restart("front");
      const { lost, duplicated } = await audit(posts);
      const line = `round ${i + 1}, killed ${round.name}: settled ${settledMs} ms after the kill, lost ${lost}, duplicated ${duplicated}`;
      console.log(`      ${line}`);
      report.push(line);
      expect({ lost, duplicated }, line).to.deep.equal({ lost: 0, duplicated: 0 });
      left = TIMELINE_NODES.filter((r) => !live.has(r));
      for (const role of left) await restart(role);
    }
    expect(report).to.have.length(rounds.length);
    // A post made after every restart reaches everyone too: no owner kept a memory that missed a write.
    posts.push(await publish("after the last restart"));
    await waitFor(async () => !(await jobsLeft()), 240_000, "the last fan-out");
    const final = await audit(posts);
    console.log(`      after every restart: lost ${final.lost}, duplicated ${final.duplicated}`);
    expect(final).to.deep.equal({ lost: 0, duplicated: 0 });
  });
});

/**
 * Followers written straight into Cassandra (sign-up hashes a password each, which would take minutes), with
 * sessions so that they read their feeds over HTTP; follows through Graph, as the graph service writes them.
 */
async function seedFollowers(
  store: WideRowStore,
  authorId: string,
  secret: string,
): Promise<{ id: string; token: string }[]> {
  const ids = new SnowflakeGenerator({ workerId: 900 });
  const graph = new Graph({ store, ids });
  const tokens = new AccessTokens(secret, 3600);
  const followers: { id: string; token: string }[] = [];
  const one = async (n: number) => {
    const id = await ids.next();
    const name = `f${n}_${id.slice(-8)}`;
    await store.put(users, {
      user_id: id,
      username: name,
      email: `${name}@example.com`,
      password_hash: "x",
      is_private: false,
      created_at: new Date(),
    });
    await store.insertIfAbsent(usernames, { username: name, user_id: id });
    const sessionId = await ids.next();
    await store.put(sessions, {
      user_id: id,
      session_id: sessionId,
      created_at: new Date(),
      expires_at: new Date(Date.now() + 3_600_000),
    });
    await graph.follow(id, { id: authorId, isPrivate: false });
    followers.push({ id, token: (await tokens.issue(id, sessionId)).token });
  };
  for (let i = 0; i < FOLLOWERS; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, FOLLOWERS - i) }, (_, k) => one(i + k)));
  }
  return followers;
}

import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { AccessTokens } from "../../lib/accounts/access-tokens";
import { accountTables, sessions, usernames, users } from "../../lib/accounts/tables";
import { Graph, graphTables } from "../../lib/graph";
import { SnowflakeGenerator } from "../../lib/ids";
import type { MediaView } from "../../lib/media-library/media-view";
import type { PostView } from "../../lib/posts/posts";
import { fanoutJobs } from "../../lib/timeline/tables";
import { testCassandraStore } from "../support/cassandra";
import { NodeProcesses, type NodeProcess } from "../support/node-processes";
import { upApartFromActions } from "../support/readiness";
import { api } from "../support/test-node";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const FOLLOWERS = 2_000;

/**
 * Three node processes over the real NATS on Cassandra: a front node (gateway, accounts, graph, posts, media) and
 * two timeline nodes. One timeline node is SIGKILLed while it fans a post out to 2,000 followers; once the
 * survivor has taken over, every follower's feed must hold that post exactly once, and the earlier post too.
 */
describe("feed fan-out survives a timeline node killed mid-way", function () {
  this.timeout(600_000);
  const namespace = `ff-${process.pid}-${Date.now().toString(36)}`;
  const keyspace = `mosaic_ff_${Date.now().toString(36)}`;
  const secret = "feed-failover-secret-".padEnd(48, "x");
  let dataDir: string;
  let url: string;

  const cluster = new NodeProcesses(() => ({
    TRANSPORTER: NATS_URL,
    NAMESPACE: namespace,
    STORE: "cassandra",
    CASSANDRA_KEYSPACE: keyspace,
    JWT_SECRET: secret,
    DATA_DIR: dataDir,
    RATE_LIMITS: "off",
    LOG_LEVEL: "info",
    // Small pages, so the fan-out takes long enough to be interrupted.
    FANOUT_PAGE_SIZE: "25",
  }));
  const procs = cluster.procs;
  const start = (name: string, env: Record<string, string>) => cluster.start(name, env);

  const waitFor = (check: () => Promise<boolean> | boolean, ms: number, what: string) =>
    cluster.waitFor(check, ms, what);

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-ff-"));
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    start("front", { SERVICES: "gateway,users,graph,posts,media,transcoder", WORKER_ID: "1", PORT: port });
    url = `http://127.0.0.1:${port}`;
    // Its gateway is fully ready only once timeline nodes exist; the front node itself must be up first.
    await waitFor(() => upApartFromActions(url), 120_000, "the front node");
    start("t1", { SERVICES: "timeline", WORKER_ID: "2", PORT: "0" });
    start("t2", { SERVICES: "timeline", WORKER_ID: "3", PORT: "0" });
  });

  after(async () => {
    await cluster.stopAll(0);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("delivers the post to every follower exactly once after the takeover", async () => {
    // The author signs up through HTTP; 2,000 followers are written straight into Cassandra (sign-up hashes a
    // password each, which would take minutes), with sessions so that they can read their feeds over HTTP.
    const author = await api<{ token: string; user: { id: string } }>(url, "POST", "/api/auth/signup", {
      body: {
        username: `author_${Date.now().toString(36)}`,
        email: `a${Date.now()}@example.com`,
        password: "password1",
      },
    });
    expect(author.status).to.equal(201);
    const store = testCassandraStore(keyspace, "seeder");
    await store.open([...accountTables, ...graphTables, fanoutJobs]);
    const ids = new SnowflakeGenerator({ workerId: 900 });
    const graph = new Graph({ store, ids });
    const tokens = new AccessTokens(secret, 3600);
    const followers: { id: string; token: string }[] = [];
    const batch = async (n: number) => {
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
      await graph.follow(id, { id: author.body.user.id, isPrivate: false });
      followers.push({ id, token: (await tokens.issue(id, sessionId)).token });
    };
    for (let i = 0; i < FOLLOWERS; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, k) => batch(i + k)));

    // Both timeline nodes must be in the ring before anything is sent.
    await waitFor(
      () => procs.filter((p) => p.name !== "front").every((p) => p.log.includes("started successfully")),
      120_000,
      "timeline nodes",
    );
    await new Promise((r) => setTimeout(r, 3_000));

    const photo = await readFile(path.resolve(__dirname, "../fixtures/image.png"));
    const publish = async (caption: string) => {
      const form = new FormData();
      form.append("file", new Blob([photo, Buffer.from(caption)], { type: "image/png" }), "a.png");
      const media = (await (
        await fetch(`${url}/api/media`, {
          method: "POST",
          headers: { authorization: `Bearer ${author.body.token}` },
          body: form,
        })
      ).json()) as MediaView;
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

    const first = await publish("before the crash");
    await waitFor(async () => !(await jobsLeft()), 120_000, "the first fan-out");

    const second = await publish("during the crash");
    let victim: NodeProcess | undefined;
    await waitFor(
      () => {
        victim = procs.find((p) => p.name !== "front" && p.log.includes(`fan-out of post ${second} started`));
        return victim !== undefined;
      },
      60_000,
      "a node to start the fan-out",
    );
    // Let it deliver a few pages, then kill it mid-way.
    await new Promise((r) => setTimeout(r, 300));
    expect(victim!.log, "the fan-out was interrupted, not finished").to.not.include(
      `fan-out of post ${second} done`,
    );
    victim!.child.kill("SIGKILL");
    const killedAt = Date.now();
    await once(victim!.child, "exit");

    await waitFor(async () => !(await jobsLeft()), 240_000, "the survivor to finish the fan-out");
    console.log(`      fan-out settled ${Date.now() - killedAt} ms after the SIGKILL`);
    const survivor = procs.find((p) => p.name !== "front" && p !== victim)!;
    // The survivor finished it, by its resumer or by a retried call of the fan-out action. It logs after it
    // deletes the job row, and its output crosses a pipe: wait for the line rather than read it at once.
    const finishedBySurvivor = () =>
      survivor.log.includes(`resumed fan-out of post ${second}`) ||
      survivor.log.includes(`fan-out of post ${second} done`);
    await waitFor(finishedBySurvivor, 10_000, "the survivor's log of the fan-out it finished").catch(
      () => undefined,
    );
    expect(finishedBySurvivor(), `the survivor finished the fan-out:\n${survivor.log.slice(-3000)}`).to.equal(
      true,
    );

    /** Every follower's feed through the gateway: who lacks one of `postIds`, who sees one twice. */
    const audit = async (postIds: readonly string[], when: string) => {
      const lost: string[] = [];
      const doubled: string[] = [];
      for (let i = 0; i < followers.length; i += 40) {
        await Promise.all(
          followers.slice(i, i + 40).map(async (f) => {
            const feed = await api<{ items: { id: string }[] }>(url, "GET", "/api/feed?limit=10", {
              token: f.token,
            });
            expect(feed.status, feed.text).to.equal(200);
            const got = feed.body.items.map((p) => p.id);
            for (const id of postIds) {
              const seen = got.filter((g) => g === id).length;
              if (seen === 0) lost.push(`${f.id} lacks ${id}`);
              if (seen > 1) doubled.push(`${f.id} sees ${id} ${seen} times`);
            }
          }),
        );
      }
      console.log(`      ${when}: lost ${lost.length}, duplicated ${doubled.length}`);
      expect(lost, `${when}: ${lost.length} missing`).to.deep.equal([]);
      expect(doubled, `${when}: ${doubled.length} duplicated`).to.deep.equal([]);
    };
    await audit([first, second], "after the takeover");

    // The killed node comes back (as an operator's restart would): the ring moves again, and posts made from
    // now on must reach every feed, including those whose owner changed twice.
    const back = start(`${victim!.name}-restarted`, { SERVICES: "timeline", WORKER_ID: "4", PORT: "0" });
    await waitFor(() => back.log.includes("started successfully"), 120_000, "the restarted timeline node");
    await audit([first, second], "right after the restart");
    const third = await publish("after the restart");
    await waitFor(async () => !(await jobsLeft()), 120_000, "the fan-out after the restart");
    await audit([first, second, third], "after a post following the restart");
    await store.close();
  });
});

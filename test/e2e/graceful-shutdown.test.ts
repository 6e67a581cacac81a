import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { SERVICE_NAMES } from "../../config";
import { dropTestKeyspace } from "../support/cassandra";
import { ClusterWatcher } from "../support/cluster-watcher";
import { randomListenPort } from "../support/free-port";
import { uploadPhoto } from "../support/media";
import { NodeProcesses } from "../support/node-processes";
import {
  openRawStream,
  ReadinessBalancer,
  send,
  sleep,
  slowJsonRequest,
  SteadyLoad,
  type LoadClient,
  type Step,
} from "../support/steady-load";
import { signup, type Account } from "../support/test-node";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
/** Long enough for the balancer below to see two 503s in a row and take the node out, with room to spare. */
const DRAIN_SECONDS = 3;
/** Every service but the gateway: what the node(s) behind the gateways host. */
const BACKEND = SERVICE_NAMES.filter((name) => name !== "gateway").join(",");
const LOAD_CLIENTS = 4;
const MEDIA_PER_CLIENT = 6;
/** Between an answer and a client's next request: about 150 requests a second over the four clients. */
const LOAD_PAUSE_MS = 20;

/**
 * Rolling a node of a cluster must drop nothing. Node processes over the real NATS take a steady load of reads
 * and writes from clients that balance over two gateway nodes the way a load balancer honouring readiness does
 * (a gateway leaves the rotation after two 503s in a row from `/health/ready`; a refused connection, a reset
 * keep-alive socket or any unexpected status is a failed request); then one node gets SIGTERM.
 */
/** What every node of a case shares: the cluster, the token key, and the drain and grace under test. */
function clusterEnv(
  namespace: string,
  dataDir: string,
  store: Record<string, string> = {},
): Record<string, string> {
  return {
    TRANSPORTER: NATS_URL,
    NAMESPACE: namespace,
    ...store,
    JWT_SECRET: "graceful-shutdown-secret-".padEnd(48, "x"),
    DATA_DIR: dataDir,
    RATE_LIMITS: "off",
    LOG_LEVEL: "warn",
    DRAIN_SECONDS: String(DRAIN_SECONDS),
    SHUTDOWN_GRACE_MS: "20000",
  };
}

describe("graceful shutdown under a steady load over NATS", function () {
  this.timeout(300_000);

  describe("SIGTERM to one of two gateway nodes", () => {
    const namespace = `gs-${process.pid}-${Date.now().toString(36)}`;
    let dataDir: string;
    const ports = [0, 1].map(() => String(randomListenPort()));
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    const cluster = new NodeProcesses(() => clusterEnv(namespace, dataDir));
    const watcher = new ClusterWatcher(namespace, NATS_URL);

    before(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-graceful-"));
      // The embedded store is the backend's own: the gateways hold no data, so they can share it through it.
      cluster.start("backend", { SERVICES: BACKEND, WORKER_ID: "1", PORT: "0" });
      cluster.start("gw1", { SERVICES: "gateway", WORKER_ID: "2", PORT: ports[0]! });
      cluster.start("gw2", { SERVICES: "gateway", WORKER_ID: "3", PORT: ports[1]! });
      await watcher.start();
      for (const url of urls) await cluster.waitFor(() => isReady(url), 120_000, `${url} to be ready`);
    });

    after(async () => {
      await watcher.stop();
      await cluster.stopAll(30_000);
      await rm(dataDir, { recursive: true, force: true });
    });

    it("says 503 while still serving, finishes what is in flight, hints its streams, leaves: nothing fails", async () => {
      const [gw1, gw2] = urls as [string, string];
      const victim = cluster.procs.find((p) => p.name === "gw1")!;
      const clients = await loadClients(urls);
      // Two users listening on the gateway that will stop; one of them gets a notification while reconnecting.
      const listeners = await Promise.all([signup(gw1), signup(gw2)]);
      const listenerPost = await postOf(gw2, listeners[0]);
      const streams = await Promise.all(listeners.map((l) => openRawStream(gw1, l.token)));
      expect(streams.map((s) => s.status)).to.deep.equal([200, 200]);

      const balancer = new ReadinessBalancer(urls, {
        periodMs: 250,
        failuresToEject: 2,
        check: async (url) =>
          (await send(false, url, "GET", "/api/me", { token: listeners[1].token })).status,
      });
      const load = new SteadyLoad(
        balancer,
        clients.map((c) => c.client),
        LOAD_PAUSE_MS,
      );
      balancer.start();
      load.start();
      try {
        await sleep(1_500);
        const signalledAt = Date.now();
        victim.child.kill("SIGTERM");
        // The balancer's first probe after the signal: the node is still in rotation (it goes after two).
        await cluster.waitFor(
          () => balancer.probes.get(gw1)!.some((p) => p.at > signalledAt),
          10_000,
          "a probe after the signal",
        );
        // Meanwhile a comment starts whose body trickles in for longer than the drain: it is in flight when the
        // listener closes.
        const slow = slowJsonRequest(
          gw1,
          "POST",
          `/api/posts/${clients[1]!.postId}/comments`,
          clients[0]!.account.token,
          { text: "written slowly, across the shutdown" },
          DRAIN_SECONDS * 1000 + 2_000,
        );

        const streamEnds = await Promise.all(streams.map((s) => s.ended));
        const slowAnswer = await slow;
        const [exitCode] = (await once(victim.child, "exit")) as [number | null];
        // The load goes on through the other gateway for a moment.
        await sleep(1_000);
        await load.stop();
        await balancer.stop();

        const toVictim = load.outcomes.filter((o) => o.gateway === gw1 && o.startedAt > signalledAt).length;
        console.log(
          `      ${load.outcomes.length} requests, ${toVictim} of them to gw1 after its SIGTERM, ` +
            `${load.failures().length} failed`,
        );
        const failures = load.failures();
        expect(failures, `failed requests:\n${JSON.stringify(failures.slice(0, 20), null, 1)}`).to.deep.equal(
          [],
        );
        expect(exitCode, victim.log).to.equal(0);

        // Both gateways took the load, and gw1 kept answering after the signal, until the balancer took it out.
        const servedBy = (url: string, after = 0) =>
          load.outcomes.filter((o) => o.gateway === url && o.ok && o.startedAt > after).length;
        expect(servedBy(gw2, signalledAt), "requests gw2 answered after the signal").to.be.above(0);
        expect(servedBy(gw1, signalledAt), "requests gw1 answered after the signal").to.be.above(0);

        // Readiness said 503, naming the drain, before the node stopped answering probes at all.
        const probes = balancer.probes.get(gw1)!.filter((p) => p.at > signalledAt);
        const firstNotReady = probes.find((p) => p.status !== 200);
        expect(firstNotReady, JSON.stringify(probes)).to.include({ status: 503 });
        expect(firstNotReady!.missing).to.include("draining");
        expect(probes.filter((p) => p.status === 503).length, "503 probes before the close").to.be.at.least(
          2,
        );
        // …while the API there still answered.
        expect(balancer.servedWhenNotReady.get(gw1)).to.equal(200);
        expect(balancer.isInRotation(gw1)).to.equal(false);
        expect(balancer.isInRotation(gw2)).to.equal(true);

        // The slow request was still in flight when the streams were closed, and was answered.
        expect(slowAnswer, JSON.stringify(slowAnswer)).to.include({ status: 201 });
        expect(slowAnswer.at).to.be.above(Math.max(...streamEnds));

        // Each stream got a retry hint and a resume point before it was closed.
        for (const stream of streams) {
          const ending = lastBlock(stream.text());
          expect(ending, stream.text()).to.match(/^retry: \d+$/m);
          expect(ending).to.match(/^id: \d+$/m);
          expect(ending).to.match(/^: reconnect/m);
        }

        // Liked while the listener was away: the reconnect to the other gateway, from the hinted id, replays it.
        const resumeFrom = /^id: (\d+)$/m.exec(lastBlock(streams[0]!.text()))![1]!;
        const liked = await send(false, gw2, "POST", `/api/posts/${listenerPost}/like`, {
          token: clients[0]!.account.token,
        });
        expect(liked.status).to.equal(200);
        const again = await openRawStream(gw2, listeners[0].token, resumeFrom);
        try {
          await cluster.waitFor(() => /event: notification/.test(again.text()), 10_000, "the replayed like");
          expect(again.text()).to.contain(`"postId":"${listenerPost}"`);
        } finally {
          again.close();
        }

        // It left the cluster saying so, rather than being found silent by the others' heartbeats.
        expect(watcher.left.find((n) => n.id === `${namespace}-gw1`)).to.deep.equal({
          id: `${namespace}-gw1`,
          unexpected: false,
        });
      } finally {
        await load.stop();
        await balancer.stop();
        for (const stream of streams) stream.close();
      }
    });
  });

  describe("SIGTERM to one of two nodes hosting the other services (they share Cassandra)", () => {
    const namespace = `gsb-${process.pid}-${Date.now().toString(36)}`;
    const keyspace = `mosaic_gsb_${Date.now().toString(36)}`;
    let dataDir: string;
    const backendPorts = [0, 1].map(() => String(randomListenPort()));
    const backendUrls = backendPorts.map((p) => `http://127.0.0.1:${p}`);
    const gatewayPorts = [0, 1].map(() => String(randomListenPort()));
    const gatewayUrls = gatewayPorts.map((p) => `http://127.0.0.1:${p}`);
    const cluster = new NodeProcesses(() =>
      clusterEnv(namespace, dataDir, { STORE: "cassandra", CASSANDRA_KEYSPACE: keyspace }),
    );
    const watcher = new ClusterWatcher(namespace, NATS_URL);

    before(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-graceful-b-"));
      // The first node creates the keyspace and its tables before the others race to.
      cluster.start("b1", { SERVICES: BACKEND, WORKER_ID: "1", PORT: backendPorts[0]! });
      await cluster.waitFor(() => isReady(backendUrls[0]!), 120_000, "the first backend node");
      cluster.start("b2", { SERVICES: BACKEND, WORKER_ID: "2", PORT: backendPorts[1]! });
      cluster.start("gw1", { SERVICES: "gateway", WORKER_ID: "3", PORT: gatewayPorts[0]! });
      cluster.start("gw2", { SERVICES: "gateway", WORKER_ID: "4", PORT: gatewayPorts[1]! });
      await watcher.start();
      for (const url of [...backendUrls, ...gatewayUrls])
        await cluster.waitFor(() => isReady(url), 120_000, `${url} to be ready`);
      await cluster.waitFor(() => watcher.hosts("inbox") === 2, 60_000, "both inbox nodes");
    });

    after(async () => {
      await watcher.stop();
      await cluster.stopAll(30_000);
      await dropTestKeyspace(keyspace);
      await rm(dataDir, { recursive: true, force: true });
    });

    it("finishes its calls and hands its actors over: nothing fails", async () => {
      const gateways = gatewayUrls;
      const victim = cluster.procs.find((p) => p.name === "b1")!;
      const clients = await loadClients(gateways);
      // Someone whose inbox b1 holds, to see it move.
      let moved: Account | undefined;
      for (let i = 0; moved === undefined && i < 30; i++) {
        const user = await signup(gateways[i % 2]!);
        if (watcher.inboxOwnerOf(user.user.id) === `${namespace}-b1`) moved = user;
      }
      expect(moved, "a user whose inbox b1 owns").to.not.equal(undefined);
      expect(
        (await send(false, gateways[0]!, "GET", "/api/notifications", { token: moved!.token })).status,
      ).to.equal(200);
      const balancer = new ReadinessBalancer(gateways, {
        periodMs: 250,
        failuresToEject: 2,
        check: () => Promise.resolve(0),
      });
      const load = new SteadyLoad(
        balancer,
        clients.map((c) => c.client),
        LOAD_PAUSE_MS,
      );
      balancer.start();
      load.start();
      try {
        await sleep(2_000);
        const signalledAt = Date.now();
        victim.child.kill("SIGTERM");
        const [exitCode] = (await once(victim.child, "exit")) as [number | null];
        await sleep(2_000);
        await load.stop();
        await balancer.stop();

        console.log(`      ${load.outcomes.length} requests, ${load.failures().length} failed`);
        const failures = load.failures();
        expect(failures, `failed requests:\n${JSON.stringify(failures.slice(0, 20), null, 1)}`).to.deep.equal(
          [],
        );
        expect(exitCode, victim.log).to.equal(0);
        expect(load.outcomes.filter((o) => o.ok && o.startedAt > signalledAt).length).to.be.above(0);
        // The gateways never stopped being ready: the survivor serves every action.
        for (const url of gateways) expect(balancer.isInRotation(url), url).to.equal(true);
        expect(watcher.left.find((n) => n.id === `${namespace}-b1`)).to.deep.equal({
          id: `${namespace}-b1`,
          unexpected: false,
        });
        // The inbox b1 held is b2's now, and answers.
        expect(watcher.inboxOwnerOf(moved!.user.id)).to.equal(`${namespace}-b2`);
        const notifications = await send(false, gateways[1]!, "GET", "/api/notifications", {
          token: moved!.token,
        });
        expect(notifications.status, notifications.text).to.equal(200);
      } finally {
        await load.stop();
        await balancer.stop();
      }
    });
  });
});

/** The load's users: each likes, unlikes and comments on the next one's post, reads, and posts its own photos. */
async function loadClients(
  gateways: readonly string[],
): Promise<{ account: Account; postId: string; client: LoadClient }[]> {
  const accounts = await Promise.all(
    Array.from({ length: LOAD_CLIENTS }, (_, i) => signup(gateways[i % gateways.length]!)),
  );
  const media = await Promise.all(
    accounts.map(async (account, i) => {
      const url = gateways[i % gateways.length]!;
      const ids: string[] = [];
      for (let n = 0; n < MEDIA_PER_CLIENT; n++) ids.push((await uploadPhoto(url, account)).id);
      return ids;
    }),
  );
  const postIds = await Promise.all(
    accounts.map(async (account, i) => {
      const url = gateways[i % gateways.length]!;
      const res = await send(false, url, "POST", "/api/posts", {
        token: account.token,
        body: { caption: "the post everyone likes", mediaIds: [media[i]!.pop()!] },
      });
      expect(res.status, res.text).to.equal(201);
      return (JSON.parse(res.text) as { id: string }).id;
    }),
  );
  return accounts.map((account, i) => {
    const target = postIds[(i + 1) % accounts.length]!;
    const own = media[i]!;
    const steps: Step[] = [
      { op: "me", method: "GET", path: "/api/me", expect: 200 },
      { op: "like", method: "POST", path: `/api/posts/${target}/like`, expect: 200 },
      { op: "feed", method: "GET", path: "/api/feed", expect: 200 },
      { op: "unlike", method: "DELETE", path: `/api/posts/${target}/like`, expect: 200 },
      {
        op: "comment",
        method: "POST",
        path: `/api/posts/${target}/comments`,
        body: { text: "nice" },
        expect: 201,
      },
    ];
    let step = 0;
    return {
      account,
      postId: postIds[i]!,
      client: {
        token: account.token,
        next(): Step {
          step++;
          // Every sixth request a new post, while the client has photos left to post.
          const mediaId = step % 6 === 0 ? own.pop() : undefined;
          if (mediaId !== undefined) {
            return {
              op: "post",
              method: "POST",
              path: "/api/posts",
              body: { mediaIds: [mediaId] },
              expect: 201,
            };
          }
          return steps[step % steps.length]!;
        },
      },
    };
  });
}

/** A post of `owner`, made through `url` with a fresh photo. */
async function postOf(url: string, owner: Account): Promise<string> {
  const media = await uploadPhoto(url, owner);
  const res = await send(false, url, "POST", "/api/posts", {
    token: owner.token,
    body: { mediaIds: [media.id] },
  });
  expect(res.status, res.text).to.equal(201);
  return (JSON.parse(res.text) as { id: string }).id;
}

async function isReady(url: string): Promise<boolean> {
  return send(false, url, "GET", "/health/ready").then(
    (answer) => answer.status === 200,
    () => false,
  );
}

/** The last block of an event stream (what came after the last blank line but one). */
function lastBlock(text: string): string {
  const blocks = text.split("\n\n").filter((block) => block.length > 0);
  return blocks[blocks.length - 1] ?? "";
}

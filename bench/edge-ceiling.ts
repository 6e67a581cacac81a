import { mkdtemp, readFile, rm } from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import { ServiceBroker, type ActionSchema, type Context } from "moleculer";
import ApiGateway from "moleculer-web";
import { z } from "zod";
import { loadConfig } from "../config";
import { createBrokerOptions } from "../moleculer.config";
import { params } from "../broker/middlewares/params-validator";
import { byCaller } from "../mixins/actor.mixin";
import { CallerProofs, deriveCallerKey } from "../lib/accounts";
import { SnowflakeGenerator } from "../lib/ids";
import { feedParams } from "../lib/timeline/params";
import { createNode } from "../broker/create-node";
import { NodeMetrics } from "../lib/metrics";
import { feedPlan, runLoad } from "./support/load-runner";
import { startBareServer, stop } from "./support/processes";
import { positiveIntOption } from "./support/options";
import { sessionTokens } from "./support/sessions";

/**
 * The ceiling of the gateway framework: moleculer-web in front of one local action that answers a page it already
 * holds (no store, no hydration, authentication by a map lookup), against a bare node:http server sending the
 * same bytes, measured in the same run by the same load process as bench:feed. No design of the read path behind
 * moleculer-web can beat this figure; it says how much of a target is left to the read path at all.
 *
 *   npx tsx bench/edge-ceiling.ts [--page file.json] [--seconds 10] [--connections 50]
 *
 * `--page` is a feed page as `GET /api/feed` answered it (the bench writes one of 20 posts otherwise).
 */
type Gateway = "plain" | "mosaic" | "node";

interface Running {
  /** The tokens its requests carry. */
  tokens: readonly string[];
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const argv = process.argv;
  const seconds = positiveIntOption(argv, "seconds", 10);
  const connections = positiveIntOption(argv, "connections", 50);
  const pageArg = argv.indexOf("--page");
  const body = pageArg > 0 ? await readFile(argv[pageArg + 1] ?? "", "utf8") : JSON.stringify(samplePage());
  const tokens = Array.from({ length: 1000 }, (_, i) => `token-${i}`);
  const users = new Map(tokens.map((t, i) => [t, { userId: String(i), sessionId: `s${i}` }]));

  const bare = await startBareServer(3912, {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8" },
    body,
  });
  const plan = (url: string, with_: readonly string[] = tokens) =>
    feedPlan(url, with_, { connections, seconds });
  const rows: Record<string, { "req/s": number; "p50 ms": number; "p99 ms": number; "/ bare": string }> = {};
  try {
    const ref = await runLoad(plan(bare.url));
    // Each gateway runs in this process, one at a time; the load runs in its own, as in bench:feed.
    for (const kind of ["plain", "mosaic", "node"] as const) {
      const gateway =
        kind === "node" ? await startNode(3911, body) : await startGateway(kind, 3911, body, users);
      try {
        const ours = await runLoad(plan("http://127.0.0.1:3911", gateway.tokens));
        rows[LABELS[kind]] = {
          "req/s": Math.round(ours.rps),
          "p50 ms": ours.p50,
          "p99 ms": ours.p99,
          "/ bare": (ours.rps / ref.rps).toFixed(3),
        };
      } finally {
        await gateway.stop();
      }
    }
    rows["bare node:http"] = {
      "req/s": Math.round(ref.rps),
      "p50 ms": ref.p50,
      "p99 ms": ref.p99,
      "/ bare": "1",
    };
    console.log(`GET /api/feed, ${connections} connections, ${seconds} s each, ${body.length}-byte answer`);
    console.table(rows);
  } finally {
    await stop(bare.child);
  }
}

const LABELS: Record<Gateway, string> = {
  plain: "moleculer-web, bare broker",
  mosaic: "moleculer-web, Mosaic's broker and hops",
  node: "Mosaic's node: its gateway, users service and broker",
};

/**
 * `plain`: moleculer-web on a broker with Moleculer's defaults, authenticating by a map lookup, calling one action
 * that answers the page. `mosaic`: the same page behind what every Mosaic request goes through besides its own
 * work: the node's broker options (moleculer.config.ts: retries, circuit breaker, bulkhead, timeouts, context
 * tracking and Mosaic's middlewares), authentication as a call to `users.authenticate` that signs a caller proof,
 * and the feed as a call routed by its caller's owner whose answer is JSON text.
 */
async function startGateway(
  kind: Gateway,
  port: number,
  body: string,
  users: ReadonlyMap<string, { userId: string; sessionId: string }>,
): Promise<Running> {
  const tokenOf = (req: { headers: Record<string, string | undefined> }) =>
    (req.headers.authorization ?? "").slice("Bearer ".length);
  let broker: ServiceBroker;
  if (kind === "plain") {
    broker = new ServiceBroker({ logger: false, metrics: false, tracing: false });
    const page = JSON.parse(body) as unknown;
    broker.createService({ name: "timeline", actions: { feed: { handler: () => page } } });
  } else {
    const config = loadConfig({ DATA_DIR: os.tmpdir(), JWT_SECRET: "edge-ceiling-".padEnd(40, "x") });
    const proofs = new CallerProofs(deriveCallerKey(config.auth.jwtSecret ?? ""));
    broker = new ServiceBroker({
      ...createBrokerOptions(config, new NodeMetrics(), () => proofs),
      logger: false,
      transporter: null,
    });
    broker.createService({
      name: "users",
      actions: {
        authenticate: {
          params: params(
            z.object({ token: z.string().min(1).max(4096) }),
          ) as unknown as ActionSchema["params"],
          handler(ctx: Context<{ token: string }>) {
            const caller = users.get(ctx.params.token);
            if (!caller)
              throw new ApiGateway.Errors.UnAuthorizedError(ApiGateway.Errors.ERR_INVALID_TOKEN, null);
            return { ...caller, proof: proofs.sign(caller, ctx.requestID ?? ctx.id) };
          },
        },
      },
    });
    broker.createService({
      name: "timeline",
      actions: {
        feed: {
          ...byCaller,
          params: params(
            z.object({ limit: z.coerce.number().int().min(1).max(50).default(20) }),
          ) as unknown as ActionSchema["params"],
          handler: () => body,
        },
      },
    });
  }
  broker.createService({
    name: "api",
    mixins: [ApiGateway],
    settings: {
      port,
      ip: "127.0.0.1",
      routes: [
        {
          path: "/api",
          authentication: true,
          aliases: { "GET feed": "timeline.feed" },
          mappingPolicy: "restrict",
          ...(kind === "mosaic" && {
            onBeforeCall(ctx: Context<unknown, { $responseType?: string }>) {
              ctx.meta.$responseType = "application/json; charset=utf-8";
            },
          }),
        },
      ],
    },
    methods: {
      authenticate(ctx: Context, _route: unknown, req: { headers: Record<string, string | undefined> }) {
        if (kind === "mosaic") return ctx.call("users.authenticate", { token: tokenOf(req) });
        const user = users.get(tokenOf(req));
        if (!user) throw new ApiGateway.Errors.UnAuthorizedError(ApiGateway.Errors.ERR_INVALID_TOKEN, null);
        return user;
      },
    },
  });
  await broker.start();
  return { tokens: [...users.keys()], stop: () => broker.stop() };
}

/**
 * Mosaic's own node (createNode: the gateway service with its front door, metrics, compression and
 * authentication through the users service on real sessions and access tokens), with the timeline service
 * replaced by one whose feed answers the page it holds: what a request costs in Mosaic before the read path
 * does any work.
 */
async function startNode(port: number, body: string): Promise<Running> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-edge-ceiling-"));
  const secret = "edge-ceiling-".padEnd(40, "x");
  const config = loadConfig({
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    PORT: String(port),
    SERVICES: "gateway,users",
    LOG_LEVEL: "warn",
    RATE_LIMITS: "off",
    ADAPTIVE_LIMIT: "off",
  });
  const node = await createNode(config);
  node.broker.createService({
    name: "timeline",
    actions: {
      feed: {
        ...byCaller,
        visibility: "published",
        params: params(feedParams) as unknown as ActionSchema["params"],
        handler: () => body,
      },
    },
  });
  await node.start();
  const { store } = node.app;
  if (!store) throw new Error("the users service keeps no store");
  const ids = new SnowflakeGenerator({ workerId: 7 });
  const users = await Promise.all(Array.from({ length: 1000 }, () => ids.next()));
  const tokens = await sessionTokens(store, secret, users, { ttlSeconds: 3600, workerId: 8 });
  return {
    tokens,
    stop: async () => {
      await node.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A page shaped like a feed page: 20 posts with an author, two media and counts. */
function samplePage() {
  const author = (i: number) => ({
    id: String(7_000_000_000_000_000_000n + BigInt(i)),
    username: `author_${i}`,
    displayName: `Author number ${i}`,
    bio: "Photos of places and of people, mostly in the morning light.",
    avatarUrl: `http://127.0.0.1:3000/media/${i}/avatar/small.jpg`,
    isPrivate: false,
    counts: { posts: 20, followers: 1234, following: 321 },
    relationship: { following: true, followedBy: false, requested: false, blocking: false },
  });
  const media = (p: number, m: number) => ({
    id: String(7_100_000_000_000_000_000n + BigInt(p * 10 + m)),
    type: "image",
    status: "ready",
    width: 1080,
    height: 1350,
    blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    variants: Object.fromEntries(
      ["thumb", "small", "large"].map((v) => [v, `http://127.0.0.1:3000/media/${p}/${m}/${v}.jpg`]),
    ),
  });
  return {
    data: Array.from({ length: 20 }, (_, p) => ({
      id: String(7_200_000_000_000_000_000n + BigInt(p)),
      author: author(p % 8),
      caption: `A morning walk by the river #walk #river @author_${(p + 1) % 8}`,
      hashtags: ["walk", "river"],
      mentions: [String(p % 8)],
      media: [media(p, 0), media(p, 1)],
      createdAt: new Date(1_780_000_000_000 - p * 60_000).toISOString(),
      likeCount: 12 + p,
      commentCount: p,
      likedByMe: p % 3 === 0,
      savedByMe: false,
    })),
    nextCursor: "7200000000000000019.abcdefghijklmnop",
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

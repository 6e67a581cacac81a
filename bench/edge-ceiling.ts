import { readFile } from "node:fs/promises";
import { ServiceBroker } from "moleculer";
import ApiGateway from "moleculer-web";
import { runLoad } from "./support/load-runner";
import { startBareServer, stop } from "./support/processes";
import { positiveIntOption } from "./support/options";

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
async function main(): Promise<void> {
  const argv = process.argv;
  const seconds = positiveIntOption(argv, "seconds", 10);
  const connections = positiveIntOption(argv, "connections", 50);
  const pageArg = argv.indexOf("--page");
  const body = pageArg > 0 ? await readFile(argv[pageArg + 1] ?? "", "utf8") : JSON.stringify(samplePage());
  const page = JSON.parse(body) as unknown;
  const tokens = Array.from({ length: 1000 }, (_, i) => `token-${i}`);
  const users = new Map(tokens.map((t, i) => [t, { userId: String(i) }]));

  const broker = new ServiceBroker({ logger: false, metrics: false, tracing: false });
  broker.createService({ name: "timeline", actions: { feed: { handler: () => page } } });
  broker.createService({
    name: "api",
    mixins: [ApiGateway],
    settings: {
      port: 3911,
      ip: "127.0.0.1",
      routes: [
        {
          path: "/api",
          authentication: true,
          aliases: { "GET feed": "timeline.feed" },
          mappingPolicy: "restrict",
        },
      ],
    },
    methods: {
      authenticate(_ctx: unknown, _route: unknown, req: { headers: Record<string, string | undefined> }) {
        const user = users.get((req.headers.authorization ?? "").slice("Bearer ".length));
        if (!user) throw new ApiGateway.Errors.UnAuthorizedError(ApiGateway.Errors.ERR_INVALID_TOKEN, null);
        return user;
      },
    },
  });
  await broker.start();
  const bare = await startBareServer(3912, {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8" },
    body,
  });
  try {
    const plan = (url: string) => ({
      url,
      path: "/api/feed",
      tokens,
      connections,
      seconds,
      warmupSeconds: 3,
      timeoutSeconds: 10,
    });
    // The gateway runs in this process: the load runs in its own, as in bench:feed.
    const ours = await runLoad(plan("http://127.0.0.1:3911"));
    const ref = await runLoad(plan(bare.url));
    console.log(`GET /api/feed, ${connections} connections, ${seconds} s each, ${body.length}-byte answer`);
    console.table({
      "moleculer-web, constant page": {
        "req/s": Math.round(ours.rps),
        "p50 ms": ours.p50,
        "p99 ms": ours.p99,
      },
      "bare node:http": { "req/s": Math.round(ref.rps), "p50 ms": ref.p50, "p99 ms": ref.p99 },
    });
    console.log(
      `ceiling: moleculer-web / bare = ${(ours.rps / ref.rps).toFixed(3)} of the requests per second`,
    );
  } finally {
    await stop(bare.child);
    await broker.stop();
  }
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

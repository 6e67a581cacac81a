import { z } from "zod";
import { isServiceName, SERVICE_NAMES, type ServiceSelection } from "./services";
import { parseCorsOrigins } from "../lib/http/cors";
import { parseTrustProxy } from "../lib/http/trust-proxy";

/**
 * Every environment variable Mosaic reads, with its default and its check. This is the single source for
 * config/index.ts and for the README's configuration table (`npm run config:table` prints it).
 */

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const onOff = z.enum(["on", "off"]);

/** `*` for every service, `none` for a console-only node, or a comma-separated list of service names. */
const serviceList = z
  .string()
  .trim()
  .transform((text, ctx): ServiceSelection => {
    if (text === "*") return "*";
    if (text === "none") return [];
    const names = text.split(",").map((name) => name.trim());
    const unknown = names.filter((name) => !isServiceName(name));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `unknown ${unknown.join(", ")} (known: ${SERVICE_NAMES.join(", ")}; or * or none)`,
      });
      return z.NEVER;
    }
    return names.filter(isServiceName);
  });

export const envSchema = z.object({
  PORT: port.default(3000).describe("HTTP port of the gateway (and of the ops endpoints on other nodes)"),
  METRICS_PORT: port
    .optional()
    .describe(
      "Serves /metrics on this port instead of PORT, so the public port need not expose it (404 there)",
    ),
  HOST: z
    .string()
    .min(1)
    .default("127.0.0.1")
    .describe("Address the HTTP server binds to (0.0.0.0 in a pod)"),
  DATA_DIR: z.string().min(1).default("./data").describe("Folder of the embedded store and keys"),
  CACHE_MB: positiveInt
    .max(65_536)
    .default(256)
    .describe(
      "Memory (MiB, roughly) each node gives its caches of posts: rows, JSON text, and media views when there is no Redis",
    ),
  WEB_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Built web client the gateway serves at `/` (default: web/dist of this checkout, built by `npm start`)",
    ),
  SERVICES: serviceList
    .default("*")
    .describe("Services this node hosts: `*`, e.g. `gateway,users`, or `none` (a console into the cluster)"),
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "letters, digits, . _ - (at most 64)")
    .optional()
    .describe("Moleculer node id (default: host name and process id)"),
  NAMESPACE: z
    .string()
    .regex(/^[a-z0-9-]{0,32}$/, "lower-case letters, digits and - (at most 32)")
    .default("")
    .describe("Moleculer namespace: nodes only see nodes of the same namespace"),
  TRANSPORTER: z
    .string()
    .regex(/^nats:\/\/\S+$/, "a nats:// URL (or leave unset for one embedded process)")
    .optional()
    .describe("`nats://host:4222` joins a cluster; unset runs one embedded process"),
  WORKER_ID: z.coerce
    .number()
    .int()
    .min(0)
    .max(1023)
    .optional()
    .describe("Snowflake worker id, unique per node (0–1023); required on cluster nodes hosting users"),
  WORKER_ID_OFFSET: z.coerce
    .number()
    .int()
    .min(0)
    .max(1023)
    .default(0)
    .describe("Added to WORKER_ID: gives each role its own range when WORKER_ID is a pod ordinal"),
  STORE: z
    .enum(["level", "cassandra"])
    .default("level")
    .describe("Wide-row store: `level` (embedded LevelDB under DATA_DIR) or `cassandra`"),
  CASSANDRA_CONTACT_POINTS: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]_-]+(\s*,\s*[A-Za-z0-9.:[\]_-]+)*$/, "a comma-separated list of host[:port]")
    .default("127.0.0.1:9042")
    .describe("Cassandra contact points, `host[:port]`, comma-separated"),
  CASSANDRA_LOCAL_DC: z
    .string()
    .min(1)
    .default("datacenter1")
    .describe("The Cassandra data centre this node reads and writes in"),
  CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, "lower-case letters, digits and _ (at most 48)")
    .default("mosaic")
    .describe("Keyspace, created when missing"),
  CASSANDRA_REPLICATION: z
    .string()
    .regex(
      /^(SimpleStrategy:\d+|NetworkTopologyStrategy:[A-Za-z0-9_-]+=\d+(,[A-Za-z0-9_-]+=\d+)*)$/,
      "SimpleStrategy:<rf> or NetworkTopologyStrategy:<dc>=<rf>[,<dc>=<rf>…]",
    )
    .default("SimpleStrategy:1")
    .describe(
      "Replication of a keyspace Mosaic creates: `SimpleStrategy:1` (development) or `NetworkTopologyStrategy:dc1=3`",
    ),
  CASSANDRA_CONSISTENCY: z
    .enum(["ONE", "LOCAL_ONE", "QUORUM", "LOCAL_QUORUM", "EACH_QUORUM", "ALL"])
    .default("LOCAL_QUORUM")
    .describe("Consistency level of reads and writes"),
  CASSANDRA_TIMEOUT_MS: positiveInt
    .max(60_000)
    .default(5_000)
    .describe("Per-request timeout of the Cassandra driver"),
  CASSANDRA_USERNAME: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Role Mosaic logs in to Cassandra as (PasswordAuthenticator); set with CASSANDRA_PASSWORD, or neither for a cluster without authentication",
    ),
  CASSANDRA_PASSWORD: z
    .string()
    .min(1)
    .optional()
    .describe("Password of CASSANDRA_USERNAME; never logged nor printed"),
  CASSANDRA_TLS: onOff
    .default("off")
    .describe(
      "`on`: connect to Cassandra over TLS, the server's certificate always verified (against CASSANDRA_TLS_CA, else the system's CAs)",
    ),
  CASSANDRA_TLS_CA: z
    .string()
    .min(1)
    .optional()
    .describe(
      "PEM file of the CA(s) that signed Cassandra's certificates, read at start-up (unset: the system's CAs); needs CASSANDRA_TLS=on",
    ),
  CASSANDRA_TLS_SERVER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/, "a host name")
    .optional()
    .describe(
      "Host name sent (SNI) and checked against Cassandra's certificates (unset: each node's address); needs CASSANDRA_TLS=on",
    ),
  BLOBS: z
    .enum(["fs", "s3"])
    .default("fs")
    .describe("Blob store of media: `fs` (files under DATA_DIR/blobs) or `s3`"),
  S3_ENDPOINT: z
    .url()
    .optional()
    .describe("S3-compatible endpoint, e.g. `http://127.0.0.1:8081` (unset: AWS)"),
  S3_REGION: z.string().min(1).default("us-east-1").describe("S3 region"),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "a valid bucket name")
    .default("mosaic-media")
    .describe("Bucket of media files, created when missing"),
  S3_ACCESS_KEY_ID: z.string().min(1).optional().describe("S3 access key id"),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional().describe("S3 secret access key"),
  S3_FORCE_PATH_STYLE: onOff
    .default("on")
    .describe("`on` for path-style URLs (MinIO, S3Proxy), `off` for virtual hosts"),
  S3_PUBLIC_URL: z
    .url()
    .optional()
    .describe("Public base URL of the bucket (a CDN); unset: clients get presigned GET URLs"),
  PUBLIC_URL: z
    .url()
    .optional()
    .describe("Base URL clients reach the gateway at, for media URLs (default http://HOST:PORT)"),
  FFMPEG_PATH: z
    .string()
    .min(1)
    .optional()
    .describe(
      "ffmpeg binary (default: /usr/bin/ffmpeg when it and /usr/bin/ffprobe are there, else the one from @ffmpeg-installer)",
    ),
  FFPROBE_PATH: z
    .string()
    .min(1)
    .optional()
    .describe(
      "ffprobe binary (default: /usr/bin/ffprobe when it and /usr/bin/ffmpeg are there, else the one from @ffprobe-installer)",
    ),
  TRANSCODER_CONCURRENCY: positiveInt.max(64).default(2).describe("Jobs one transcoder node runs at once"),
  TRANSCODE_TIMEOUT_MS: positiveInt
    .max(3_600_000)
    .default(600_000)
    .describe("Longest a transcoding job may run before it is retried elsewhere"),
  MEDIA_URL_TTL_SECONDS: positiveInt
    .max(7 * 24 * 3600)
    .default(3600)
    .describe(
      "Lifetime of a signed URL of private media (a private account's, a direct message's); rounded up to a bucket of up to 10 minutes so URLs repeat and cache",
    ),
  MEDIA_DELETE_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(90 * 24 * 3600)
    .default(24 * 3600)
    .describe(
      "Time the files of a deleted post or story are kept (already answering 404) before the media janitor removes them",
    ),
  STREAM_MAX_PER_USER: positiveInt
    .max(100)
    .default(5)
    .describe("Open event streams (`/api/stream`) per user on one gateway node; a new one closes the oldest"),
  STREAM_HEARTBEAT_SECONDS: positiveInt
    .max(30)
    .default(15)
    .describe("Seconds between heartbeat comments on an idle event stream"),
  CELEBRITY_THRESHOLD: positiveInt
    .default(10_000)
    .describe("Followers from which an author's posts are pulled at read time instead of fanned out"),
  FANOUT_PAGE_SIZE: positiveInt
    .max(5_000)
    .default(500)
    .describe("Followers per fan-out page (one push per owner node per page)"),
  DISCOVERY_ROUND_SECONDS: positiveInt
    .max(3600)
    .default(60)
    .describe(
      "Seconds between two computations of trending tags and of explore (one discovery node per round)",
    ),
  MODERATION_HOLD_REPORTERS: positiveInt
    .max(1_000)
    .default(5)
    .describe(
      "Distinct people reporting one account within an hour that hide it from explore, trending and search until a moderator decides",
    ),
  TRENDING_MIN_AUTHORS: positiveInt
    .max(1_000)
    .default(3)
    .describe(
      "Fewest distinct authors a tag needs over the last day to trend (one account's posts never do)",
    ),
  TRENDING_NEW_ACCOUNT_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .max(720)
    .default(24)
    .describe("How long a new account's posts carry no weight in trending (0: from the start)"),
  TRENDING_HALF_LIFE_HOURS: positiveInt
    .max(168)
    .default(6)
    .describe(
      "Half-life of a tag's use in trending: an hour of use counts half as much this many hours later",
    ),
  EXPLORE_HALF_LIFE_HOURS: positiveInt
    .max(168)
    .default(6)
    .describe("Half-life of a like or comment in explore's ranking"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, "a redis:// URL")
    .optional()
    .describe(
      "Redis the cluster shares for the cache, rate limits and quotas, e.g. `redis://127.0.0.1:6379` (unset: in memory)",
    ),
  SEARCH_URL: z
    .string()
    .regex(/^https?:\/\/\S+$/, "an http:// or https:// URL")
    .optional()
    .describe(
      "OpenSearch (or Elasticsearch) the search service indexes into, e.g. `http://127.0.0.1:9200` (unset: an embedded index under DATA_DIR/search)",
    ),
  SEARCH_INDEX_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,40}$/, "lower-case letters, digits, _ and -, starting with a letter")
    .default("mosaic")
    .describe(
      "Names the search engine's indices and alias (`<prefix>-live`), so that clusters can share an engine",
    ),
  SEARCH_TIMEOUT_MS: positiveInt
    .max(60_000)
    .default(2_000)
    .describe("Milliseconds a search engine request may take before search answers 503"),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace"])
    .default("info")
    .describe("Log level"),
  CHECK_RESULTS: onOff
    .default("off")
    .describe(
      "`on` checks every action's answer against its contract (lib/contracts) and fails the call when they differ (the tests turn it on)",
    ),
  REQUEST_TIMEOUT_MS: positiveInt.max(120_000).default(10_000).describe("Timeout of one service call"),
  JWT_SECRET: z
    .string()
    .min(32, "at least 32 characters")
    .optional()
    .describe(
      "HS256 key (≥ 32 chars) of access tokens and of the proofs of callers between nodes; required on cluster nodes hosting any service but the gateway and the transcoder, generated under DATA_DIR otherwise",
    ),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt
    .max(90 * 24 * 3600)
    .default(7 * 24 * 3600)
    .describe("Lifetime of an access token"),
  // At least 10: rows that name an account and live less than that (the stream log's 7 days, trend rows' 9) expire
  // before its erasure, which therefore need not chase them.
  ACCOUNT_DELETION_GRACE_DAYS: z.coerce
    .number()
    .int()
    .min(10)
    .max(365)
    .default(30)
    .describe(
      "Days (10 to 365) a deleted account stays hidden, and can be taken back by signing in, before it is erased",
    ),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/\S+$/, "an smtp:// or smtps:// URL")
    .optional()
    .describe(
      "Mail server for account mail, e.g. `smtp://user:pass@mail.example.com:587` (unset: `.eml` files under DATA_DIR/outbox)",
    ),
  MAIL_FROM: z
    .string()
    .min(3)
    .max(254)
    .default("Mosaic <no-reply@mosaic.invalid>")
    .describe("The From of account mail (password resets, address verification)"),
  EMAIL_VERIFICATION: z
    .enum(["off", "optional", "required"])
    .default("optional")
    .describe(
      "At sign-up: `off`, `optional` (a link is mailed; the account works meanwhile) or `required` (no sign-in until the link is followed)",
    ),
  RATE_LIMIT_RECOVERY_PER_HOUR: positiveInt
    .default(10)
    .describe("Password-reset and verification requests per client IP per hour"),
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{87}$/, "a P-256 public key in base64url (87 characters)")
    .optional()
    .describe(
      "Web Push's VAPID public key; with VAPID_PRIVATE_KEY (both or neither). Unset: a pair derived from JWT_SECRET, so set these before rotating that",
    ),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, "a P-256 private key in base64url (43 characters)")
    .optional()
    .describe("Web Push's VAPID private key (e.g. from `npx web-push generate-vapid-keys`)"),
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, "a mailto: or https: URL")
    .default("mailto:push@mosaic.invalid")
    .describe("The contact push services are given with each push (RFC 8292): a mailto: or https: URL"),
  PUSH_INSECURE_ENDPOINTS: onOff
    .default("off")
    .describe("`on` lets push subscriptions name plain http:// endpoints (tests with a local push service)"),
  PUSH_QUEUE_MAX: positiveInt
    .max(1_000_000)
    .default(10_000)
    .describe("Pushes one inbox node keeps queued or retrying; past it new ones are dropped (and counted)"),
  RATE_LIMITS: onOff.default("on").describe("`off` turns every rate limit and quota off (load tests)"),
  RATE_LIMIT_SIGNUP_PER_HOUR: positiveInt.default(20).describe("Sign-ups per client IP per hour"),
  RATE_LIMIT_LOGIN_PER_MINUTE: positiveInt.default(10).describe("Login attempts per client IP per minute"),
  RATE_LIMIT_WRITES_PER_MINUTE: positiveInt
    .default(120)
    .describe("Writes (POST/PUT/PATCH/DELETE) per user per minute"),
  QUOTA_LIKES_PER_HOUR: positiveInt.default(500).describe("Likes per user per hour"),
  QUOTA_COMMENTS_PER_HOUR: positiveInt.default(200).describe("Comments per user per hour"),
  QUOTA_POSTS_PER_HOUR: positiveInt.default(50).describe("Posts per user per hour"),
  QUOTA_FOLLOWS_PER_HOUR: positiveInt
    .default(200)
    .describe("Follows (and follow requests) per user per hour"),
  QUOTA_STORIES_PER_HOUR: positiveInt.default(50).describe("Stories per user per hour"),
  QUOTA_MESSAGES_PER_HOUR: positiveInt
    .default(500)
    .describe("Direct messages (shared posts included) per user per hour"),
  QUOTA_REPORTS_PER_HOUR: positiveInt
    .default(60)
    .describe("Reports per user per hour, so that reporting cannot flood the moderation queue"),
  QUOTA_EXPORTS_PER_HOUR: positiveInt
    .default(3)
    .describe("Data exports asked for per user per hour: each one reads the whole account into an archive"),
  TRUST_PROXY: z
    .string()
    .transform((text, ctx) => {
      const parsed = parseTrustProxy(text);
      if (!("error" in parsed)) return parsed;
      ctx.addIssue({ code: "custom", message: parsed.error });
      return z.NEVER;
    })
    .optional()
    .describe(
      "Proxies whose X-Forwarded-For is believed: a hop count (`1` behind one ingress) or their networks, e.g. `10.0.0.0/8,::1/128`; unset: none, the socket's address is the client's",
    ),
  CORS_ORIGINS: z
    .string()
    .transform((text, ctx) => {
      const parsed = parseCorsOrigins(text);
      if (!("error" in parsed)) return parsed.origins;
      ctx.addIssue({ code: "custom", message: parsed.error });
      return z.NEVER;
    })
    .optional()
    .describe(
      "Origins allowed to call the API from a browser: exact `scheme://host[:port]`, comma-separated, or `*`; unset: no CORS headers",
    ),
  MAX_IN_FLIGHT: positiveInt
    .max(100_000)
    .default(128)
    .describe(
      "Most API requests a gateway works on at once, each counted at least until the end of the event-loop turn that read it; past it (or past the adaptive limit under it), 503 with Retry-After at once (health, metrics, media files and streams are not counted)",
    ),
  ADAPTIVE_LIMIT: onOff
    .default("on")
    .describe(
      "`on`: a gateway finds from their latency how many API requests to work on at once (at most MAX_IN_FLIGHT): it cuts that number while a crowd of answers take over ADAPTIVE_LIMIT_TOLERANCE times their route's time at rest and its event loop is busy, and probes one higher while they do not; `off`: MAX_IN_FLIGHT alone",
    ),
  ADAPTIVE_LIMIT_TOLERANCE: z.coerce
    .number()
    .min(1.2)
    .max(100)
    .default(1.5)
    .describe(
      "How many times its route's fastest recent answer the median answer (of those with company, per 100 ms) may take before the adaptive limit is cut",
    ),
  ADAPTIVE_LIMIT_SUSTAIN_MS: positiveInt
    .max(60_000)
    .default(300)
    .describe(
      "How long answers must stay over the tolerance before a gateway at its full limit cuts it, so that a page's burst of requests is never refused; also how often a limit that is met is probed one higher",
    ),
  QUEUE_TARGET_MS: positiveInt
    .max(10_000)
    .default(100)
    .describe(
      "Once turns of a gateway's event loop have run longer than this for QUEUE_INTERVAL_MS (a standing queue), API requests read later than this into a turn get 503 with Retry-After",
    ),
  QUEUE_INTERVAL_MS: positiveInt
    .max(60_000)
    .default(1_000)
    .describe(
      "How long turns must stay over QUEUE_TARGET_MS before requests are refused for it (CoDel's interval)",
    ),
  BODY_IDLE_TIMEOUT_MS: positiveInt
    .max(600_000)
    .default(15_000)
    .describe("Longest pause in a request body (JSON, an upload) before it is cut with 408"),
  DRAIN_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(300)
    .optional()
    .describe(
      "On SIGTERM, seconds a gateway node answers 503 on /health/ready while still serving, so load balancers take it out before it stops taking connections (default 5 with TRANSPORTER, 0 without)",
    ),
  SHUTDOWN_GRACE_MS: positiveInt
    // Up to TRANSCODE_TIMEOUT_MS's bound: a transcoder node may be given its longest job.
    .max(3_600_000)
    .default(10_000)
    .describe(
      "On SIGTERM, after the drain, the longest in-flight requests and calls may take to finish before they are cut",
    ),
});

export type Env = z.input<typeof envSchema>;
export type ParsedEnv = z.output<typeof envSchema>;

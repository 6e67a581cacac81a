import { accessSync, constants as fsConstants, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TrustProxy } from "../lib/http/trust-proxy";
import type { QuotaName } from "../lib/rate-limit/rate-limiter";
import { envSchema, type ParsedEnv } from "./schema";
import { Secret } from "./secret";
import type { ServiceName, ServiceSelection } from "./services";

export { SERVICE_NAMES, type ServiceName, type ServiceSelection } from "./services";
export { Secret } from "./secret";

/**
 * The one reader of process.env. Everything else receives the frozen Config built here, so a bad variable
 * stops the process at start-up with one line per problem instead of failing later, somewhere else.
 */

export interface Config {
  readonly http: {
    readonly port: number;
    readonly host: string;
    /** Where /metrics is served when not on `port` (METRICS_PORT). */
    readonly metricsPort: number | undefined;
    /** Whose X-Forwarded-For names the client (for per-IP limits and logs). */
    readonly trustProxy: TrustProxy;
    /** A request body that pauses this long is cut (408). */
    readonly bodyIdleTimeoutMs: number;
    /** API requests worked on at once; the rest are refused (503) rather than queued. */
    readonly maxInFlight: number;
    /** Past a standing queue (turns of the event loop longer than this for `queueIntervalMs`), requests read this late in a turn are refused. */
    readonly queueTargetMs: number;
    /** The bound found from latency under `maxInFlight`; undefined when ADAPTIVE_LIMIT is off. */
    readonly adaptiveLimit: { readonly tolerance: number; readonly sustainMs: number } | undefined;
    readonly queueIntervalMs: number;
    /** The built web client served at `/`. */
    readonly webDir: string;
  };
  readonly dataDir: string;
  /** What the per-node caches of posts may hold together, in bytes as they estimate them (CACHE_MB). */
  readonly cacheBytes: number;
  readonly services: ServiceSelection;
  readonly broker: {
    readonly nodeId: string;
    readonly namespace: string;
    /** Absent in embedded mode: one process, local calls only. */
    readonly transporter: string | undefined;
    readonly requestTimeoutMs: number;
    readonly logLevel: ParsedEnv["LOG_LEVEL"];
    /** Every action's answer is checked against its contract (tests). */
    readonly checkResults: boolean;
  };
  readonly workerId: number;
  readonly store:
    | { readonly kind: "level" }
    | {
        readonly kind: "cassandra";
        readonly contactPoints: readonly string[];
        readonly localDataCenter: string;
        readonly keyspace: string;
        readonly replication: Readonly<Record<string, string | number>>;
        readonly consistency: ParsedEnv["CASSANDRA_CONSISTENCY"];
        readonly timeoutMs: number;
        /** Absent: the cluster asks for no login (AllowAllAuthenticator). */
        readonly credentials: { readonly username: string; readonly password: Secret } | undefined;
        /** Absent: plain CQL. Present: TLS with the server's certificate always verified. */
        readonly tls:
          | {
              /** PEM text of the CA bundle (CASSANDRA_TLS_CA, read at start-up); absent: the system's CAs. */
              readonly ca: string | undefined;
              readonly serverName: string | undefined;
            }
          | undefined;
      };
  readonly blobs:
    | { readonly kind: "fs" }
    | {
        readonly kind: "s3";
        readonly endpoint: string | undefined;
        readonly region: string;
        readonly bucket: string;
        readonly accessKeyId: string;
        readonly secretAccessKey: string;
        readonly forcePathStyle: boolean;
        readonly publicBaseUrl: string | undefined;
      };
  /** Where clients reach the gateway, for URLs of media it serves itself; unset: the node's own address. */
  readonly publicUrl: string | undefined;
  readonly media: {
    readonly ffmpegPath: string | undefined;
    readonly ffprobePath: string | undefined;
    readonly transcoderConcurrency: number;
    readonly transcodeTimeoutMs: number;
    /** Shortest life of a signed URL of private media. */
    readonly urlTtlSeconds: number;
    /** How long the files of deleted media stay in the blob store (already refused) before the janitor removes them. */
    readonly deleteGraceSeconds: number;
  };
  readonly auth: { readonly jwtSecret: string | undefined; readonly accessTokenTtlSeconds: number };
  readonly rateLimits: {
    readonly enabled: boolean;
    readonly signupPerHour: number;
    readonly recoveryPerHour: number;
    readonly loginPerMinute: number;
    readonly writesPerMinute: number;
    /** Hits of a route carrying a quota, per user per hour. */
    readonly quotasPerHour: Readonly<Record<QuotaName, number>>;
  };
  /** Empty: no CORS headers at all. */
  readonly cors: { readonly origins: "*" | readonly string[] };
  /** SIGTERM: how long a gateway says "not ready" while still serving, before it stops taking connections. */
  readonly shutdownDrainMs: number;
  /** SIGTERM, after the drain: how long in-flight requests and calls may take before they are cut. */
  readonly shutdownGraceMs: number;
  /** Absent: each node caches and counts rate limits in its own memory. */
  readonly redisUrl: string | undefined;
  /** Embedded: an in-process index under DATA_DIR/search; opensearch: the engine at `url`. */
  readonly search:
    | { readonly kind: "embedded"; readonly timeoutMs: number }
    | {
        readonly kind: "opensearch";
        readonly url: string;
        readonly indexPrefix: string;
        readonly timeoutMs: number;
      };
  readonly feed: { readonly celebrityThreshold: number; readonly fanoutPageSize: number };
  readonly stream: { readonly maxPerUser: number; readonly heartbeatMs: number };
  readonly discovery: {
    readonly roundSeconds: number;
    readonly trending: {
      readonly minAuthors: number;
      readonly halfLifeMs: number;
      readonly newAccountMs: number;
    };
    readonly explore: { readonly halfLifeMs: number };
  };
  readonly push: {
    /** Unset: derived from the token key (lib/push/vapid.ts). */
    readonly vapid: { readonly publicKey: string; readonly privateKey: string } | undefined;
    readonly subject: string;
    readonly insecureEndpoints: boolean;
    readonly queueMax: number;
  };
  /** How long a deleted account waits, hidden, before it is erased (signing in takes it back meanwhile). */
  readonly accountDeletionGraceMs: number;
  readonly mail: {
    readonly smtpUrl: string | undefined;
    readonly from: string;
    readonly verification: "off" | "optional" | "required";
  };
  readonly moderation: {
    /** Distinct reporters of one account within an hour that hold it out of discovery until reviewed. */
    readonly holdReporters: number;
  };
}

/** What a load balancer or kube-proxy needs to stop sending new connections to a node that said "not ready". */
const DEFAULT_CLUSTER_DRAIN_SECONDS = 5;

/** Services that mint Snowflake ids and sign tokens. */
const SERVICES_THAT_MINT: readonly ServiceName[] = [
  "users",
  "graph",
  "posts",
  "media",
  "timeline",
  "interactions",
  "stories",
  "inbox",
  "search",
];

/** Variables whose value a configuration error never repeats: the message reaches logs. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  "CASSANDRA_PASSWORD",
  "JWT_SECRET",
  "VAPID_PRIVATE_KEY",
  "SMTP_URL",
  "S3_SECRET_ACCESS_KEY",
]);

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** `overrides` win over the environment: what the command line decided (`--console`: SERVICES=none). */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Record<string, string> = {},
): Config {
  // An empty variable means "not set", as in most twelve-factor apps; zod would otherwise read "" as a value.
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((key) => {
      const value = overrides[key] ?? env[key];
      return value === undefined || value.trim() === "" ? [] : [[key, value]];
    }),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = issue.path.join(".");
        const shown = SECRET_VARIABLES.has(key) ? "[redacted]" : JSON.stringify(present[key] ?? "");
        return `${key}=${shown}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  // Only nodes that mint ids or sign tokens need these, so a gateway pod can scale without a worker id.
  const keepsData = e.SERVICES === "*" || e.SERVICES.some((name) => SERVICES_THAT_MINT.includes(name));
  // Discovery mints nothing but reads callers, whose proofs (lib/accounts/caller-proof.ts) use the token key.
  const readsCallers = keepsData || e.SERVICES === "*" || e.SERVICES.includes("discovery");
  if (e.TRANSPORTER !== undefined && keepsData && e.WORKER_ID === undefined) {
    problems.push(
      "WORKER_ID: required with TRANSPORTER on a node hosting users, so no two nodes mint one id",
    );
  }
  if (e.TRANSPORTER !== undefined && readsCallers && e.JWT_SECRET === undefined) {
    problems.push(
      "JWT_SECRET: required with TRANSPORTER on a node hosting users, so all sign the same tokens",
    );
  }
  if ((e.VAPID_PUBLIC_KEY === undefined) !== (e.VAPID_PRIVATE_KEY === undefined)) {
    problems.push("VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: set both or neither");
  }
  if (e.BLOBS === "s3" && (e.S3_ACCESS_KEY_ID === undefined || e.S3_SECRET_ACCESS_KEY === undefined)) {
    problems.push("S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: required with BLOBS=s3");
  }
  if ((e.WORKER_ID ?? 0) + e.WORKER_ID_OFFSET > 1023) {
    problems.push("WORKER_ID_OFFSET: WORKER_ID + WORKER_ID_OFFSET must stay within 0–1023");
  }
  if ((e.CASSANDRA_USERNAME === undefined) !== (e.CASSANDRA_PASSWORD === undefined)) {
    problems.push(
      "CASSANDRA_USERNAME, CASSANDRA_PASSWORD: set both (a cluster with authentication) or neither (one without)",
    );
  }
  if (e.CASSANDRA_TLS === "off") {
    for (const key of ["CASSANDRA_TLS_CA", "CASSANDRA_TLS_SERVER_NAME"] as const) {
      if (e[key] !== undefined)
        problems.push(`${key}: only with CASSANDRA_TLS=on (it is off, so nothing would use it)`);
    }
  }
  const cassandraCa = e.CASSANDRA_TLS === "on" ? readCaBundle(e.CASSANDRA_TLS_CA, problems) : undefined;
  if (problems.length > 0) throw new ConfigError(problems);

  // The OS's ffmpeg (current and patched) over the npm packages' 2018 static build, when it has both tools: never
  // one of each, whose versions could disagree.
  const systemMedia = systemFfmpeg();
  return deepFreeze<Config>({
    http: {
      port: e.PORT,
      metricsPort: e.METRICS_PORT,
      host: e.HOST,
      trustProxy: e.TRUST_PROXY ?? { kind: "none" },
      bodyIdleTimeoutMs: e.BODY_IDLE_TIMEOUT_MS,
      maxInFlight: e.MAX_IN_FLIGHT,
      queueTargetMs: e.QUEUE_TARGET_MS,
      adaptiveLimit:
        e.ADAPTIVE_LIMIT === "on"
          ? { tolerance: e.ADAPTIVE_LIMIT_TOLERANCE, sustainMs: e.ADAPTIVE_LIMIT_SUSTAIN_MS }
          : undefined,
      queueIntervalMs: e.QUEUE_INTERVAL_MS,
      webDir: path.resolve(e.WEB_DIR ?? path.join(__dirname, "..", "web", "dist")),
    },
    dataDir: path.resolve(e.DATA_DIR),
    cacheBytes: e.CACHE_MB * 1024 * 1024,
    services: e.SERVICES,
    broker: {
      nodeId: e.NODE_ID ?? `${os.hostname()}-${process.pid}`,
      namespace: e.NAMESPACE,
      transporter: e.TRANSPORTER,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      logLevel: e.LOG_LEVEL,
      checkResults: e.CHECK_RESULTS === "on",
    },
    workerId: (e.WORKER_ID ?? 0) + e.WORKER_ID_OFFSET,
    store: storeConfig(e, cassandraCa),
    blobs:
      e.BLOBS === "fs"
        ? { kind: "fs" }
        : {
            kind: "s3",
            endpoint: e.S3_ENDPOINT,
            region: e.S3_REGION,
            bucket: e.S3_BUCKET,
            accessKeyId: e.S3_ACCESS_KEY_ID ?? "",
            secretAccessKey: e.S3_SECRET_ACCESS_KEY ?? "",
            forcePathStyle: e.S3_FORCE_PATH_STYLE === "on",
            publicBaseUrl: e.S3_PUBLIC_URL,
          },
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ""),
    media: {
      ffmpegPath: e.FFMPEG_PATH ?? systemMedia?.ffmpeg,
      ffprobePath: e.FFPROBE_PATH ?? systemMedia?.ffprobe,
      transcoderConcurrency: e.TRANSCODER_CONCURRENCY,
      transcodeTimeoutMs: e.TRANSCODE_TIMEOUT_MS,
      urlTtlSeconds: e.MEDIA_URL_TTL_SECONDS,
      deleteGraceSeconds: e.MEDIA_DELETE_GRACE_SECONDS,
    },
    auth: { jwtSecret: e.JWT_SECRET, accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS },
    rateLimits: {
      enabled: e.RATE_LIMITS === "on",
      signupPerHour: e.RATE_LIMIT_SIGNUP_PER_HOUR,
      recoveryPerHour: e.RATE_LIMIT_RECOVERY_PER_HOUR,
      loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MINUTE,
      writesPerMinute: e.RATE_LIMIT_WRITES_PER_MINUTE,
      quotasPerHour: {
        likes: e.QUOTA_LIKES_PER_HOUR,
        comments: e.QUOTA_COMMENTS_PER_HOUR,
        posts: e.QUOTA_POSTS_PER_HOUR,
        follows: e.QUOTA_FOLLOWS_PER_HOUR,
        stories: e.QUOTA_STORIES_PER_HOUR,
        messages: e.QUOTA_MESSAGES_PER_HOUR,
        reports: e.QUOTA_REPORTS_PER_HOUR,
        exports: e.QUOTA_EXPORTS_PER_HOUR,
      },
    },
    cors: { origins: e.CORS_ORIGINS ?? [] },
    // A cluster node sits behind a load balancer that needs time to notice; `npm start` stops at Ctrl-C at once.
    shutdownDrainMs:
      (e.DRAIN_SECONDS ?? (e.TRANSPORTER === undefined ? 0 : DEFAULT_CLUSTER_DRAIN_SECONDS)) * 1000,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    redisUrl: e.REDIS_URL,
    search:
      e.SEARCH_URL === undefined
        ? { kind: "embedded", timeoutMs: e.SEARCH_TIMEOUT_MS }
        : {
            kind: "opensearch",
            url: e.SEARCH_URL,
            indexPrefix: e.SEARCH_INDEX_PREFIX,
            timeoutMs: e.SEARCH_TIMEOUT_MS,
          },
    feed: { celebrityThreshold: e.CELEBRITY_THRESHOLD, fanoutPageSize: e.FANOUT_PAGE_SIZE },
    stream: { maxPerUser: e.STREAM_MAX_PER_USER, heartbeatMs: e.STREAM_HEARTBEAT_SECONDS * 1000 },
    discovery: {
      roundSeconds: e.DISCOVERY_ROUND_SECONDS,
      trending: {
        minAuthors: e.TRENDING_MIN_AUTHORS,
        halfLifeMs: e.TRENDING_HALF_LIFE_HOURS * 3_600_000,
        newAccountMs: e.TRENDING_NEW_ACCOUNT_HOURS * 3_600_000,
      },
      explore: { halfLifeMs: e.EXPLORE_HALF_LIFE_HOURS * 3_600_000 },
    },
    moderation: { holdReporters: e.MODERATION_HOLD_REPORTERS },
    accountDeletionGraceMs: e.ACCOUNT_DELETION_GRACE_DAYS * 24 * 3600_000,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM, verification: e.EMAIL_VERIFICATION },
    push: {
      vapid:
        e.VAPID_PUBLIC_KEY !== undefined && e.VAPID_PRIVATE_KEY !== undefined
          ? { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY }
          : undefined,
      subject: e.VAPID_SUBJECT,
      insecureEndpoints: e.PUSH_INSECURE_ENDPOINTS === "on",
      queueMax: e.PUSH_QUEUE_MAX,
    },
  });
}

function storeConfig(e: ParsedEnv, tlsCa: string | undefined): Config["store"] {
  if (e.STORE === "level") return { kind: "level" };
  const spec: string = e.CASSANDRA_REPLICATION;
  const [strategy = "SimpleStrategy", factors = "1"] = spec.split(":");
  const replication: Record<string, string | number> = { class: strategy };
  if (strategy === "SimpleStrategy") replication.replication_factor = Number(factors);
  else {
    for (const pair of factors.split(",")) {
      const [dc = "", rf = "0"] = pair.split("=");
      replication[dc] = Number(rf);
    }
  }
  return {
    kind: "cassandra",
    contactPoints: e.CASSANDRA_CONTACT_POINTS.split(",").map((p) => p.trim()),
    localDataCenter: e.CASSANDRA_LOCAL_DC,
    keyspace: e.CASSANDRA_KEYSPACE,
    replication,
    consistency: e.CASSANDRA_CONSISTENCY,
    timeoutMs: e.CASSANDRA_TIMEOUT_MS,
    credentials:
      e.CASSANDRA_USERNAME !== undefined && e.CASSANDRA_PASSWORD !== undefined
        ? { username: e.CASSANDRA_USERNAME, password: new Secret(e.CASSANDRA_PASSWORD) }
        : undefined,
    // No switch turns verification off: a TLS connection that takes any certificate hands the password (sent in
    // clear inside it) to whoever answers in the middle, so it would be TLS in name only. A private CA goes in
    // CASSANDRA_TLS_CA; a certificate naming another host than the contact points, in CASSANDRA_TLS_SERVER_NAME.
    tls: e.CASSANDRA_TLS === "on" ? { ca: tlsCa, serverName: e.CASSANDRA_TLS_SERVER_NAME } : undefined,
  };
}

/** The CA bundle's PEM text, read now so a wrong path stops the node at start-up rather than at connect. */
function readCaBundle(file: string | undefined, problems: string[]): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err: unknown) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    problems.push(`CASSANDRA_TLS_CA=${JSON.stringify(file)}: cannot be read (${reason})`);
    return undefined;
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    problems.push(
      `CASSANDRA_TLS_CA=${JSON.stringify(file)}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
    return undefined;
  }
  return text;
}

/** Whether a node configured with `services` hosts the named service. */
export function hostsService(config: Pick<Config, "services">, name: ServiceName): boolean {
  return config.services === "*" || config.services.includes(name);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Debian's (or any distribution's) ffmpeg and ffprobe at /usr/bin, when both are there and executable. */
function systemFfmpeg(): { ffmpeg: string; ffprobe: string } | undefined {
  const tools = { ffmpeg: "/usr/bin/ffmpeg", ffprobe: "/usr/bin/ffprobe" };
  try {
    accessSync(tools.ffmpeg, fsConstants.X_OK);
    accessSync(tools.ffprobe, fsConstants.X_OK);
    return tools;
  } catch {
    return undefined;
  }
}

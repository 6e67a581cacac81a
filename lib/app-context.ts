import { ErasureSchedule, erasureTables } from "./erasure";
import path from "node:path";
import type { Config, ServiceName } from "../config";
import {
  Accounts,
  AccessTokens,
  accountTables,
  loadTokenSecret,
  type AvatarSource,
  type OwnerMediaAccess,
} from "./accounts";
import type { BlobStore } from "./blobs";
import { createBlobStore } from "./blobs/factory";
import { SnowflakeGenerator } from "./ids";
import { createHmac, randomUUID } from "node:crypto";
import { cacheKeys, type Cache } from "./cache/cache";
import { MemoryCache } from "./cache/memory";
import { splitCacheBudget } from "./cache/budget";
import { RedisCache } from "./cache/redis";
import { Graph, graphTables } from "./graph";
import { Fanout, type Deliver, type FanoutJob } from "./timeline/fanout";
import { Feed } from "./timeline/feed";
import { PostJson } from "./posts/post-json";
import { timelineTables } from "./timeline/tables";
import { Timelines } from "./timeline/timelines";
import { MediaLibrary, type TranscodeJob } from "./media-library/media-library";
import { MediaFileAccess } from "./media-library/media-access";
import { deriveMediaUrlKey, MediaUrlSigner } from "./media-library/signed-urls";
import { CallerProofs, deriveCallerKey } from "./accounts/caller-proof";
import { AuditLog, auditTables } from "./audit";
import { Posts } from "./posts/posts";
import { mediaClaims, postTables } from "./posts/tables";
import { mediaTables } from "./media-library/tables";
import { Uploads } from "./media-library/uploads";
import { createRateLimiter } from "./rate-limit/factory";
import { RedisConnection } from "./redis/connection";
import type { RateLimiter } from "./rate-limit/rate-limiter";
import { createStore, type WideRowStore } from "./store";
import type { AnyTable } from "./store/schema";
import { Inbox, inboxTables } from "./inbox";
import type { Messenger, Notifier } from "./contracts/ports";
import { Engagement, Interactions, interactionTables } from "./interactions";
import { activityTotalsOf, Insights, PostActivity, PostViews, viewCountsOf, viewTables } from "./views";
import { Affinities, RankedFeed, rankingTables } from "./ranking";
import { Stories, storyTables } from "./stories";
import { IdempotencyKeys, idempotencyTables } from "./idempotency";
import type { PublishStreamEvent } from "./stream/events";
import { WriteJournal, journalTables } from "./journal";
import type { NodeMetrics } from "./metrics/node-metrics";
import { ThreadedSearchIndex } from "./search/embedded/threaded-search-index";
import { createSearchIndex } from "./search/factory";
import { SearchIndexer } from "./search/indexer";
import { SearchOutbox, searchOutboxTables } from "./search/outbox";
import { SearchReindexer, searchReindexTables } from "./search/reindex";
import type { SearchIndex } from "./search/search-index";
import { SearchQueries } from "./search/search-queries";
import { FoundPeople } from "./search/found-people";
import { SearcherRelations } from "./search/searcher-relations";
import { DiscoveryStanding } from "./accounts/discovery-standing";
import {
  PushSender,
  PushSubscriptions,
  pushTables,
  vapidKeysFrom,
  WebPush,
  webPushTransport,
  type PushOutcome,
} from "./push";
import { StreamPresence } from "./stream/presence";
import { createMailer } from "./mail";
import { Recovery } from "./accounts";
import { SessionList } from "./accounts/session-list";
import { moderationTables, Removals } from "./moderation";
import { SearchSync, searchSyncTables } from "./search/search-sync";
import { StoreSearchSources } from "./search/store-sources";
import { TagPages } from "./discovery/tag-pages";
import { createDiscovery, discoveryTables, EngagementLog, TagUses, type Discovery } from "./discovery";
import { deriveExportUrlKey, exportPathOf, Exports, ExportUrlSigner, exportTables } from "./export";

/** How long an avatar URL is kept (Accounts.avatarUrlOf): a profile page of 20 authors asks for none. */
const AVATAR_URL_TTL_MS = 60_000;
/** Web Push: a push service that has not answered by then is tried again later. */
const PUSH_TIMEOUT_MS = 10_000;
const PUSH_CONCURRENCY = 8;
const PUSH_MAX_ATTEMPTS = 5;
const PUSH_BACKOFF_MS = 1_000;
/** Presigned archive URLs (S3) are the same string for this long, so a polling client gets one link. */
const EXPORT_URL_BUCKET_SECONDS = 600;

/**
 * Every dependency of a node, built in this one place from the config and handed to the services that need it.
 * Nothing below reads the environment or builds its own clients; a node builds only what its services use.
 */
export interface AppContext {
  readonly config: Config;
  readonly ids: SnowflakeGenerator;
  /** The gateway's limits and quotas; absent on nodes without the gateway. */
  readonly rateLimiter: RateLimiter | undefined;
  /** The Redis behind the rate limits and the cache, when configured and used here (never required to serve). */
  readonly redis: RedisConnection | undefined;
  /** The tables this node's store opened: for checks over all of them (the erasure's sweep test). */
  readonly tables: readonly AnyTable[];
  readonly store: WideRowStore | undefined;
  readonly blobs: BlobStore | undefined;
  readonly accounts: Accounts | undefined;
  /**
   * Signs and checks the proof of `ctx.meta.user` (lib/accounts/caller-proof.ts): on every node holding the token
   * key, and on an operator's console given JWT_SECRET (act-as signs with it). Absent elsewhere.
   */
  readonly callerProofs: CallerProofs | undefined;
  /** The operators' audit log; where the users service runs, which records and reads it. */
  readonly audit: AuditLog | undefined;
  readonly media: { library: MediaLibrary; uploads: Uploads } | undefined;
  /**
   * What the gateway needs to serve media files itself (embedded blobs): who may fetch each file, and the key that
   * signs the URLs of private ones. Absent where this node serves no files.
   */
  readonly mediaFiles: { access: MediaFileAccess; signer: MediaUrlSigner } | undefined;
  readonly graph: Graph | undefined;
  /** Data exports (their jobs, worker and sweep); where the media service runs, beside the originals. */
  readonly exports: Exports | undefined;
  /** Signs archive download URLs (embedded blobs), and checks them on a gateway serving files. */
  readonly exportUrls: ExportUrlSigner | undefined;
  /** Writes that span partitions, recorded so that one a crash cut short is completed (lib/journal). */
  readonly journal: WriteJournal | undefined;
  readonly posts: Posts | undefined;
  readonly timeline:
    { timelines: Timelines; fanout: Fanout; feed: Feed; ranked: RankedFeed; postJson: PostJson } | undefined;
  readonly interactions: Interactions | undefined;
  /** Views and plays counted in memory and flushed as sums; where the interactions service runs. */
  readonly views: PostViews | undefined;
  /** Authors' insights into their posts; where the interactions service runs. */
  readonly insights: Insights | undefined;
  readonly stories: Stories | undefined;
  readonly inbox: Inbox | undefined;
  /** Password resets and address verification by mail; on users nodes. */
  readonly recovery: Recovery | undefined;
  /** Who has an event stream open (the shared cache): gateways write it, the inbox asks it before a push. */
  readonly presence: StreamPresence;
  /** Web Push subscriptions and sending, with the VAPID public key; on inbox nodes. */
  readonly push:
    { subscriptions: PushSubscriptions; publicKey: string; sender: PushSender; webPush: WebPush } | undefined;
  /** The gateway's Idempotency-Key records; absent without a store it can share with the other gateways. */
  readonly idempotency: IdempotencyKeys | undefined;
  /** Records notifications in the recipient's inbox, wherever its owner runs. */
  readonly notifier: Notifier;
  /** Tag pages, trending tags, explore and suggested accounts; only where the discovery service runs. */
  readonly discovery: Discovery | undefined;
  /** The search index with its indexer, queries and reindexer; only where the search service runs. */
  readonly search:
    | { index: SearchIndex; indexer: SearchIndexer; queries: SearchQueries; reindexer: SearchReindexer }
    | undefined;
  close(): Promise<void>;
}

export interface AppContextOptions {
  hosts: (service: ServiceName) => boolean;
  /** Hands a transcoding job to whichever node hosts the transcoder (bound to the broker by the caller). */
  dispatch: (job: TranscodeJob) => void;
  /** Looks up avatars in the media service, wherever it runs. */
  avatars: AvatarSource;
  /** Keeps who may fetch an owner's media files in step with their privacy, in the media service. */
  ownerMedia?: OwnerMediaAccess;
  /** Hands a page of followers to the nodes owning their timelines (bound to the broker by the caller). */
  deliver: Deliver;
  /** Starts a recorded fan-out job on some timeline node. */
  startFanout: (job: FanoutJob) => void;
  /** Tells every node keeping post rows that a post was deleted (bound to the broker by the caller). */
  postDeleted?: (postId: string) => Promise<void>;
  /** Tells every node keeping post rows that a post's caption was edited (bound to the broker by the caller). */
  postEdited?: (postId: string) => Promise<void>;
  /** Sends notifications to the recipient's inbox owner (bound to the broker by the caller). */
  notifier: Notifier;
  /** Sends shared posts as direct messages through the inbox (bound to the broker by the caller). */
  messenger: Messenger;
  /** Hands stream events to the gateways holding the users' connections (bound to the broker by the caller). */
  publish: PublishStreamEvent;
  /** The base URL of files this node's gateway serves (known once it listens). */
  publicBaseUrl: () => string;
  /** Wakes the search indexers, wherever they run, when index jobs were recorded. */
  searchJobsRecorded?: () => void;
  /**
   * The node's metrics: the store, fan-out, actors, rate limits, transcode jobs and search are measured into them.
   * Without them nothing is measured (unit tests, scripts).
   */
  metrics?: NodeMetrics;
  /** A clock tests can move. */
  now?: () => number;
  /** Where the node's own components report changes of state (Redis lost and found). */
  log?: (level: "warn" | "info", message: string) => void;
}

export async function createAppContext(config: Config, options: AppContextOptions): Promise<AppContext> {
  const { hosts, metrics } = options;
  const now = options.now ?? Date.now;
  const searchMetrics = metrics?.search;
  const ids = new SnowflakeGenerator({ workerId: config.workerId, now });
  const closers: (() => Promise<void>)[] = [];
  const needsPosts =
    hosts("posts") ||
    hosts("timeline") ||
    hosts("interactions") ||
    hosts("inbox") ||
    hosts("search") ||
    hosts("discovery");
  // Gateways count limits and posts cache media views there; other nodes never open a connection.
  const redis =
    config.redisUrl !== undefined && (hosts("gateway") || needsPosts)
      ? new RedisConnection(config.redisUrl, { ...(options.log && { log: options.log }) })
      : undefined;
  if (redis) closers.push(() => redis.close());
  // Only gateways count limits; shared by all of them through Redis in cluster mode, so that a limit holds
  // whichever gateway is hit.
  const rateLimiter = hosts("gateway")
    ? createRateLimiter(redis, now, config.broker.namespace, metrics?.rateLimits)
    : undefined;

  // Services that read accounts and the graph (every user view carries a relationship) build them locally:
  // they share the store, so nothing crosses the network that one query answers.
  const social =
    hosts("interactions") || hosts("stories") || hosts("inbox") || hosts("discovery") || hosts("search");
  const needsAccounts = hosts("users") || hosts("graph") || hosts("posts") || hosts("timeline") || social;
  const needsMedia = hosts("media") || hosts("posts") || hosts("timeline") || social;
  // The gateway serves files itself only from a local blob folder; from S3 clients fetch them directly.
  const budget = splitCacheBudget(config.cacheBytes);
  let cache: Cache;
  if (redis) cache = new RedisCache(redis);
  else {
    const memory = new MemoryCache({ maxBytes: budget.hydration });
    metrics?.caches.watch("hydration", budget.hydration, () => memory.sizeInBytes);
    cache = memory;
  }
  closers.push(() => cache.close());
  const needsBlobs = needsMedia || hosts("transcoder") || (hosts("gateway") && config.blobs.kind === "fs");

  // Idempotency keys must be seen by every gateway: in the store when it is shared (Cassandra) or already open
  // here, never in a LevelDB a gateway-only node would open for itself.
  const needsKeys = hosts("gateway") && (config.store.kind === "cassandra" || needsAccounts || needsMedia);
  // A gateway serving files reads each file's media row to know who may fetch it; same rule as the keys.
  const servesFiles = needsKeys && config.blobs.kind === "fs";
  let store: WideRowStore | undefined;
  let opened: AnyTable[] = [];
  if (needsAccounts || needsMedia || needsKeys) {
    store = createStore(
      { store: config.store, dataDir: config.dataDir, nodeId: config.broker.nodeId },
      now,
      metrics?.store,
    );
    // A set: several services need some tables (stories and posts both claim media).
    const tables = new Set<AnyTable>([
      ...(needsAccounts
        ? [
            ...accountTables,
            ...graphTables,
            ...journalTables,
            ...searchOutboxTables,
            ...searchSyncTables,
            ...searchReindexTables,
            ...(hosts("users") ? auditTables : []),
            // Reports on the users nodes; what was removed is read wherever messages and notifications are.
            ...moderationTables,
            ...erasureTables,
          ]
        : []),
      // Media claims too: a media's new alt text finds the post that holds it.
      ...(needsMedia || servesFiles ? [...mediaTables, mediaClaims] : []),
      ...(needsPosts
        ? [
            ...postTables,
            ...timelineTables,
            ...interactionTables,
            ...discoveryTables,
            ...viewTables,
            ...rankingTables,
          ]
        : []),
      ...(hosts("stories") ? [...postTables, ...storyTables] : []),
      ...(hosts("inbox") ? [...inboxTables, ...rankingTables, ...pushTables] : []),
      ...(hosts("media") ? exportTables : []),
      ...(needsKeys ? idempotencyTables : []),
    ]);
    opened = [...tables];
    await store.open(opened);
    closers.push(() => store?.close() ?? Promise.resolve());
  }
  // One reader of accounts' standing for discovery and search (suspended, held, deleted, new).
  const discoveryStanding =
    store && new DiscoveryStanding(store, now, config.discovery.trending.newAccountMs);

  let blobs: BlobStore | undefined;
  if (needsBlobs) {
    blobs = createBlobStore(config.blobs, path.join(config.dataDir, "blobs"), config.broker.requestTimeoutMs);
    closers.push(() => blobs?.close() ?? Promise.resolve());
  }

  let accounts: Accounts | undefined;
  let graph: Graph | undefined;
  const secret =
    needsAccounts || needsMedia || servesFiles
      ? await loadTokenSecret(config.auth.jwtSecret, config.dataDir)
      : "";
  // Derived once here, so that whoever mints media URLs and the gateway that checks them share the key with no
  // setting of its own (JWT_SECRET is already the same on every node).
  const signer =
    needsMedia || servesFiles
      ? new MediaUrlSigner(deriveMediaUrlKey(secret), config.media.urlTtlSeconds, now)
      : undefined;
  // A node that loaded no key (a gateway, a console) proves callers only with the configured one: a generated
  // key of its own would match no other node's.
  const proofSecret = secret !== "" ? secret : config.auth.jwtSecret;
  const callerProofs = proofSecret ? new CallerProofs(deriveCallerKey(proofSecret), now) : undefined;
  const fileAccess = servesFiles && store ? new MediaFileAccess(store, { now }) : undefined;
  let journal: WriteJournal | undefined;
  let searchOutbox: SearchOutbox | undefined;
  let searchSync: SearchSync | undefined;
  let recovery: Recovery | undefined;
  if (needsAccounts && store) {
    const tokens = new AccessTokens(secret, config.auth.accessTokenTtlSeconds, now);
    journal = new WriteJournal({
      store,
      ids,
      holder: config.broker.nodeId,
      now,
      ...(options.log && { warn: (message: string) => options.log?.("warn", message) }),
    });
    searchOutbox = new SearchOutbox({
      store,
      ids,
      now,
      ...(options.searchJobsRecorded && { nudge: options.searchJobsRecorded }),
    });
    searchSync = new SearchSync({ store, journal, outbox: searchOutbox, now });
    const sync = searchSync;
    graph = new Graph({ store, ids, now, journal, edgesChanged: (a, b) => sync.followersChanged(a, b) });
    if (hosts("users")) {
      const log = (message: string) => options.log?.("info", message);
      const mailer = createMailer({ ...config.mail, dataDir: config.dataDir, log });
      closers.push(() => mailer.close());
      const warn = (message: string) => options.log?.("warn", message);
      recovery = new Recovery({
        store,
        ids,
        mailer,
        sessions: new SessionList(store, now),
        baseUrl: options.publicBaseUrl,
        now,
        warn,
      });
    }
    const mailed = recovery;
    accounts = new Accounts({
      store,
      ids,
      tokens,
      now,
      ...(mailed && {
        verification: {
          mode: config.mail.verification,
          // Never failing the sign-up: another link can be asked for (POST /api/auth/email/verification).
          send: (userId: string, email: string) =>
            mailed.sendVerification(userId, email).catch((err: unknown) => {
              options.log?.(
                "warn",
                `verification mail not sent: ${err instanceof Error ? err.message : String(err)}`,
              );
            }),
        },
      }),
      avatars: options.avatars,
      relationships: graph,
      searchSync,
      erasures: new ErasureSchedule(store, now),
      ...(options.ownerMedia && { ownerMedia: options.ownerMedia }),
      // A minute, or a quarter of a signed URL's life if that is shorter: a kept signed URL has most of its life left.
      avatarCache: { cache, ttlMs: Math.min(AVATAR_URL_TTL_MS, (config.media.urlTtlSeconds * 1000) / 4) },
    });
  }

  let media: AppContext["media"];
  if (needsMedia && store && blobs) {
    const blobStore = blobs;
    const library = new MediaLibrary({
      store,
      blobs: blobStore,
      ids,
      dispatch: options.dispatch,
      // Variant keys start with media/, which is also the path the gateway serves them at.
      urlOf: async (key) => (await blobStore.publicUrl(key)) ?? `${options.publicBaseUrl()}/${key}`,
      ...(signer && {
        privateUrlOf: async (key: string) =>
          (await blobStore.presignGet(key, {
            expiresInSeconds: signer.ttlSeconds,
            bucketSeconds: signer.bucketSeconds,
          })) ?? signer.signUrl(options.publicBaseUrl(), `/${key}`),
      }),
      ...(fileAccess && { fileAccess }),
      // Posts keep ready views (with their URLs) for a while: a change of access must not leave plain ones there.
      forgetView: (mediaId) => cache.delete(cacheKeys.media(mediaId)),
      ...(searchOutbox && {
        described: (postId: string) => searchOutbox.record([{ type: "post" as const, docId: postId }]),
      }),
      deleteGraceMs: config.media.deleteGraceSeconds * 1000,
      now,
      // Only the media service scans the jobs and records their results.
      ...(metrics && hosts("media") && { metrics: metrics.transcodeJobs }),
    });
    media = { library, uploads: new Uploads({ store, blobs: blobStore, ids, library, now }) };
  }

  // The same key wherever archives are made and downloaded (a gateway serving files checks what media nodes sign).
  const exportUrls =
    needsMedia || servesFiles ? new ExportUrlSigner(deriveExportUrlKey(secret), now) : undefined;
  let exports: Exports | undefined;
  if (hosts("media") && store && blobs && media && exportUrls) {
    const blobStore = blobs;
    exports = new Exports({
      store,
      blobs: blobStore,
      ids,
      media: media.library,
      holder: config.broker.nodeId,
      downloadUrlOf: async (key, expiresAtMs) =>
        (await blobStore.presignGet(key, {
          expiresInSeconds: Math.max(1, Math.floor((expiresAtMs - now()) / 1000)),
          bucketSeconds: EXPORT_URL_BUCKET_SECONDS,
        })) ?? exportUrls.signUrl(options.publicBaseUrl(), exportPathOf(key), expiresAtMs),
      now,
      ...(options.log && { warn: (message: string) => options.log?.("warn", message) }),
    });
  }

  let posts: Posts | undefined;
  let engagement: Engagement | undefined;
  let timeline: AppContext["timeline"];
  // Discovery's writers, wherever posts, likes and comments are written (or a crash's are completed), so that
  // tag pages, trending and explore see every one whichever node took it.
  const discoveryWriters =
    needsPosts && store
      ? {
          tagPages: new TagPages(store),
          tagUses: new TagUses(store),
          engagementLog: new EngagementLog(store),
        }
      : undefined;
  if (needsPosts && store && accounts && graph && media && journal) {
    const [users, follows] = [accounts, graph];
    const fanout = new Fanout({
      store,
      graph,
      closeFriends: graph.closeFriends,
      deliver: options.deliver,
      celebrityThreshold: config.feed.celebrityThreshold,
      pageSize: config.feed.fanoutPageSize,
      holder: config.broker.nodeId,
      now,
      // Posts nodes record jobs; only timeline nodes run and scan them.
      ...(metrics && hosts("timeline") && { metrics: metrics.fanout }),
    });
    engagement = new Engagement({ store, now });
    const viewStore = store;
    posts = new Posts({
      store,
      ids,
      now,
      viewCounts: (postIds) => viewCountsOf(viewStore, postIds),
      cache,
      keptRowBytes: budget.postRows,
      engagement,
      notifier: options.notifier,
      journal,
      listings: [
        ...(discoveryWriters ? [discoveryWriters.tagPages, discoveryWriters.tagUses] : []),
        ...(searchSync ? [searchSync] : []),
      ],
      ...(options.postDeleted && { deleted: options.postDeleted }),
      ...(options.postEdited && { edited: options.postEdited }),
      published: async (job) => {
        await fanout.record(job);
        options.startFanout(job);
      },
      media: media.library,
      users: {
        idsOf: (names) => users.idsOf(names),
        view: (viewer, id) => users.view(viewer, id),
        shown: (id) => users.shown(id),
      },
      closeFriends: graph.closeFriends,
      visibility: {
        async of(viewerId, author) {
          if (await follows.isBlockedEitherWay(viewerId, author.id)) return "hidden";
          if (author.isPrivate && !(await follows.canSeePrivate(viewerId, author.id))) return "private";
          return "visible";
        },
      },
    });
    const keptRows = posts;
    metrics?.caches.watch("postRows", budget.postRows, () => keptRows.keptRowsInBytes);
    if (hosts("timeline")) {
      const timelines = new Timelines(store, undefined, now);
      metrics?.actors.watch("timeline", timelines.stats);
      const cursorKey = createHmac("sha256", secret).update("feed-cursor").digest("base64url");
      const feed = new Feed({ store, timelines, graph, posts, fanout, cursorKey, now });
      const readerAffinities = new Affinities(store);
      const rankingStore = store;
      const ranked = new RankedFeed({
        candidates: (readerId, max) => feed.visibleEntries(readerId, max),
        cursorBefore: (postId) => feed.cursorBefore(postId),
        hydrate: (readerId, entries) => feed.hydrateVisible(readerId, entries),
        activity: (postIds) => activityTotalsOf(rankingStore, postIds),
        affinity: (readerId) => readerAffinities.of(readerId),
        now,
      });
      const postJson = new PostJson({ maxBytes: budget.postJson });
      metrics?.caches.watch("postJson", budget.postJson, () => postJson.sizeInBytes);
      timeline = { timelines, fanout, feed, ranked, postJson };
    }
  }

  const interactions =
    hosts("interactions") && store && posts && accounts && graph && journal
      ? new Interactions({
          store,
          ids,
          now,
          journal,
          posts,
          accounts,
          graph,
          notifier: options.notifier,
          messenger: options.messenger,
          countsChanged: (postId) => engagement?.forget(postId),
          ...(discoveryWriters && { signals: discoveryWriters.engagementLog }),
          activity: new PostActivity(store, now),
          affinity: new Affinities(store),
        })
      : undefined;
  let discovery: Discovery | undefined;
  if (hosts("discovery") && store && posts && accounts && graph && discoveryWriters) {
    const users = accounts;
    discovery = createDiscovery({
      store,
      posts,
      graph,
      users,
      privacy: {
        isPublic: async (userId) => (await users.view(userId, userId))?.isPrivate === false,
      },
      ...discoveryWriters,
      ...(discoveryStanding && { standing: discoveryStanding }),
      settings: config.discovery,
      holder: config.broker.nodeId,
      now,
    });
  }
  const stories =
    hosts("stories") && store && media && accounts && graph
      ? new Stories({ store, ids, now, media: media.library, accounts, graph })
      : undefined;
  const presence = new StreamPresence(cache, 3 * config.stream.heartbeatMs);
  const push =
    hosts("inbox") && store ? webPushFor(config, secret, store, presence, now, options) : undefined;
  if (push) closers.push(() => Promise.resolve(push.sender.stop()));
  const inbox =
    hosts("inbox") && store && media && posts && accounts && graph
      ? new Inbox({
          store,
          ids,
          now,
          accounts,
          graph,
          media: media.library,
          posts,
          publish: options.publish,
          affinity: new Affinities(store),
          removals: new Removals(store),
          ...(push && { push: push.webPush }),
        })
      : undefined;
  if (inbox) metrics?.actors.watch("inbox", inbox.stats);

  let search: AppContext["search"];
  if (hosts("search") && store && searchOutbox && graph && accounts && posts && discoveryWriters) {
    const index = createSearchIndex(config.search, config.dataDir);
    closers.push(() => index.close());
    if (index instanceof ThreadedSearchIndex) searchMetrics?.watchIndexHeap(() => index.heapUsedBytes());
    const { tagPages } = discoveryWriters;
    const sources = new StoreSearchSources({ store, tagPostCount: (tag) => tagPages.tagPostCount(tag) });
    const reindexer = new SearchReindexer({ store, index, sources, ids, now });
    const indexer = new SearchIndexer({
      outbox: searchOutbox,
      index,
      sources,
      holder: config.broker.nodeId,
      reindexing: () => reindexer.generation(),
      ...(searchMetrics && { metrics: searchMetrics }),
      now,
    });
    const queries = new SearchQueries({
      index,
      relations: new SearcherRelations(graph, now),
      people: new FoundPeople((userId) => accounts.publicProfile(userId), { now }),
      posts,
      ...(discoveryStanding && { standing: discoveryStanding }),
      ...(searchMetrics && { metrics: searchMetrics }),
    });
    search = { index, indexer, queries, reindexer };
  }

  return {
    config,
    ids,
    search,
    discovery,
    rateLimiter,
    redis,
    store,
    tables: opened,
    blobs,
    accounts,
    callerProofs,
    audit: hosts("users") && store ? new AuditLog({ store, ids, now }) : undefined,
    media,
    graph,
    exports,
    exportUrls,
    journal,
    posts,
    timeline,
    interactions,
    views:
      interactions && store && posts && graph
        ? postViews(store, posts, graph, config.broker.nodeId, now)
        : undefined,
    insights:
      interactions && store && posts
        ? new Insights({ store, post: (callerId, postId) => posts.get(callerId, postId) })
        : undefined,
    stories,
    inbox,
    recovery,
    presence,
    push: push && {
      subscriptions: push.subscriptions,
      publicKey: push.publicKey,
      sender: push.sender,
      webPush: push.webPush,
    },
    idempotency: needsKeys && store ? new IdempotencyKeys({ store }) : undefined,
    mediaFiles: fileAccess && signer && { access: fileAccess, signer },
    notifier: options.notifier,
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}

/** Web Push for an inbox node: its subscriptions, its queue and the VAPID keys (configured, or from the token key). */
function webPushFor(
  config: Config,
  tokenSecret: string,
  store: WideRowStore,
  presence: StreamPresence,
  now: () => number,
  options: { metrics?: NodeMetrics; log?: (level: "warn" | "info", message: string) => void },
) {
  const vapid = vapidKeysFrom(config.push.vapid, tokenSecret);
  const subscriptions = new PushSubscriptions(store, now, config.push.insecureEndpoints);
  const metrics = options.metrics?.push;
  const sender = new PushSender({
    transport: webPushTransport({ vapid, subject: config.push.subject, timeoutMs: PUSH_TIMEOUT_MS }),
    expired: (userId, subscriptionId) => subscriptions.remove(userId, subscriptionId),
    maxQueued: config.push.queueMax,
    concurrency: PUSH_CONCURRENCY,
    maxAttempts: PUSH_MAX_ATTEMPTS,
    backoffMs: PUSH_BACKOFF_MS,
    ...(metrics && { onOutcome: (outcome: PushOutcome) => metrics.outcome(outcome) }),
    ...(options.log && { warn: (message: string) => options.log?.("warn", message) }),
  });
  metrics?.watch(() => sender.size);
  const webPush = new WebPush({
    subscriptions,
    sender,
    presence,
    ...(options.log && { warn: (message: string) => options.log?.("warn", message) }),
  });
  return { subscriptions, sender, webPush, publicKey: vapid.publicKey };
}

function postViews(
  store: WideRowStore,
  posts: Posts,
  graph: Graph,
  nodeId: string,
  now: () => number,
): PostViews {
  return new PostViews({
    store,
    authorsOf: (ids) => posts.entriesOf(ids),
    follows: (viewerId, authorId) => graph.isFollowing(viewerId, authorId),
    // This process's own sketch rows: a restarted node must not overwrite what it sketched before.
    writer: `${nodeId}:${randomUUID()}`,
    now,
  });
}

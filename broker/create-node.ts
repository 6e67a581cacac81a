import type { Server } from "node:http";
import { ServiceBroker } from "moleculer";
import { broadcast, call } from "./calls";
import { hostsService, type Config, type ServiceName } from "../config";
import { createAppContext, type AppContext } from "../lib/app-context";
import type { CallerProofs } from "../lib/accounts";
import type { MediaLibrary } from "../lib/media-library/media-library";
import { createGraphService } from "../services/graph.service";
import { createInboxService } from "../services/inbox.service";
import { createInteractionsService } from "../services/interactions.service";
import { createDiscoveryService } from "../services/discovery.service";
import { createSearchService } from "../services/search.service";
import { createStoriesService } from "../services/stories.service";
import type { PublishStreamEvent, StreamDelivery } from "../lib/stream/events";
import { EventStreams } from "../services/gateway/event-streams";
import { REPLAY_MAX_EVENTS } from "../lib/inbox/params";
import { createMediaService, dispatchTranscode } from "../services/media.service";
import { createPostsService } from "../services/posts.service";
import { createTimelineService, deliverByOwner, startFanout } from "../services/timeline.service";
import { createTranscoderService } from "../services/transcoder.service";
import { OpsServer } from "../lib/http/ops-server";
import { ConnectionDrain } from "../lib/http/connection-drain";
import { NodeLifecycle } from "./lifecycle";
import { createBrokerOptions } from "../moleculer.config";
import { createGatewayService } from "../services/gateway.service";
import { createUsersService } from "../services/users.service";
import { createAdminService } from "../services/admin.service";
import { createModerationService } from "../services/moderation.service";
import { createExportService } from "../services/export.service";
import { createLifecycleService } from "../services/lifecycle.service";
import { NodeMetrics } from "../lib/metrics";
import { nodeReadiness } from "./readiness";
import { JournalResumer } from "../lib/journal";
import { createWithPorts, withPorts } from "../mixins/ports.mixin";
import { POST_ROW_KEEPERS } from "../mixins/post-rows.mixin";

/** How often a node looks for journalled writes left unfinished by a node that died. */
const JOURNAL_RESUME_EVERY_MS = 5_000;
const JOURNAL_MIN_AGE_MS = 30_000;
/** How far back each round looks: an operation stays there minutes after it is old enough to complete. */
const JOURNAL_LOOKBACK_MS = 10 * 60_000;

export interface MosaicNode {
  readonly broker: ServiceBroker;
  readonly app: AppContext;
  start(): Promise<void>;
  /**
   * The first step of a graceful stop (SIGTERM): `/health/ready` says 503 from now on while everything is still
   * served, and answers close their connections. Resolves after `ms` (DRAIN_SECONDS by default) on a node that
   * serves the API, at once on any other: nothing balances requests to those by their readiness.
   */
  drain(ms?: number): Promise<void>;
  /**
   * Stops taking connections, tells open event streams to reconnect elsewhere, lets in-flight requests finish (up
   * to SHUTDOWN_GRACE_MS), leaves the cluster (other nodes drop this one's endpoints at once and its actors move),
   * then stops services and closes the store.
   */
  stop(): Promise<void>;
  /** The gateway's bound port when this node hosts it (useful with PORT=0). */
  httpPort(): number | undefined;
  /** The port /metrics is served on when METRICS_PORT moved it (useful with METRICS_PORT=0). */
  metricsPort(): number | undefined;
}

export interface NodeOptions {
  now?: () => number;
  /**
   * An operator asked this node to drain (admin.drainNode): bin/mosaic.ts stops as on SIGTERM and exits. Without
   * it (tests), the node drains and stops, and its process goes on.
   */
  onDrainRequested?: () => void;
}

export async function createNode(config: Config, options: NodeOptions = {}): Promise<MosaicNode> {
  const hosts = (name: ServiceName) => hostsService(config, name);
  // Its own registry per node: a test process runs several nodes, each counting its own calls and requests.
  const metrics = new NodeMetrics();
  // The signals are bin/mosaic.ts's: Moleculer's own handler would stop the broker under the node's feet (closing
  // the gateway while it drains) and exit before the store is closed.
  // The caller-proof key comes with the app context, built after the broker (it binds calls to the broker).
  const keys: { proofs?: CallerProofs } = {};
  const broker = new ServiceBroker({
    ...createBrokerOptions(config, metrics, () => keys.proofs),
    skipProcessEventRegistration: true,
  });
  const lifecycle = new NodeLifecycle();
  // Every gateway gets every delivery and keeps what concerns its own connections.
  const publish: PublishStreamEvent = (userIds, event) => {
    const delivery: StreamDelivery = { userIds: [...userIds], event };
    void broadcast(broker, "stream.deliver", delivery, ["gateway"]);
  };
  let baseUrl: string | undefined;
  // The library needs a way to send jobs, and sending needs the library to record results: bind late.
  const late: { library?: MediaLibrary } = {};
  const app = await createAppContext(config, {
    hosts,
    dispatch: dispatchTranscode(
      broker,
      () => {
        if (!late.library) throw new Error("a transcode job was sent before the media library existed");
        return late.library;
      },
      config.media.transcodeTimeoutMs,
    ),
    avatars: {
      avatarOf: async (ownerId, mediaId) =>
        (await call(broker, "media.avatar", { ownerId, mediaId })) ?? undefined,
    },
    ownerMedia: {
      avatarChosen: async (ownerId, mediaId, isPrivate) => {
        await call(broker, "media.avatarChosen", { ownerId, mediaId, isPrivate });
      },
      privacyChanged: async (ownerId, isPrivate) => {
        await call(broker, "media.ownerPrivacy", { ownerId, isPrivate });
      },
    },
    deliver: deliverByOwner(broker),
    // The inbox routes each call to the recipient's owner node (Owner strategy on the recipient id).
    notifier: {
      notify: async (input) => {
        await call(broker, "inbox.notify", input);
      },
    },
    messenger: {
      sharePost: async (senderId, recipientIds, postId) => {
        await call(broker, "inbox.sharePost", { senderId, recipientIds: [...recipientIds], postId });
      },
    },
    publish,
    startFanout: startFanout(broker),
    postDeleted: (postId) => broadcast(broker, "posts.deleted", { postId }, POST_ROW_KEEPERS),
    postEdited: (postId) => broadcast(broker, "posts.edited", { postId }, POST_ROW_KEEPERS),
    searchJobsRecorded: () => void broadcast(broker, "search.jobs", {}, ["search"]).catch(() => undefined),
    metrics,
    publicBaseUrl: () =>
      (baseUrl ??= knownBaseUrl()) ?? `http://${displayHost(config.http.host)}:${config.http.port}`,
    ...(options.now && { now: options.now }),
    log: (level, message) => broker.logger[level](message),
  });
  late.library = app.media?.library;
  keys.proofs = app.callerProofs;
  // One readiness for the gateway's `/health/ready` and the ops server's: 503 once the node is on its way out.
  const readiness = lifecycle.readiness(nodeReadiness(broker, app));

  // Built here, not in the gateway, so that stop() can end them before the gateway waits for its requests:
  // a stream is a request that never finishes by itself.
  const streamMetrics = hosts("gateway") ? metrics.streams : undefined;
  const streams = new EventStreams({
    maxPerUser: config.stream.maxPerUser,
    heartbeatMs: config.stream.heartbeatMs,
    replay: async (userId, afterId) => (await call(broker, "inbox.replay", { userId, afterId })).events,
    presence: app.presence,
    replayBatch: REPLAY_MAX_EVENTS,
    mintId: () => app.ids.next(),
    onError: (message, err) => broker.logger.warn(message, err instanceof Error ? err.message : err),
    ...(streamMetrics && { delivered: (event) => streamMetrics.delivered(event) }),
  });
  streamMetrics?.watch(() => streams.openCount());
  // Each hosted service gets the ports it declares, or the node refuses to start naming what is missing.
  const services = [
    withPorts("gateway", ["rateLimiter"], ({ rateLimiter }) =>
      createGatewayService({
        config,
        streams,
        rateLimiter,
        metrics,
        files:
          config.blobs.kind === "fs" && app.blobs && app.mediaFiles
            ? { blobs: app.blobs, ...app.mediaFiles }
            : undefined,
        readiness,
        idempotency: app.idempotency,
        exportFiles:
          config.blobs.kind === "fs" && app.blobs && app.exportUrls
            ? { blobs: app.blobs, signer: app.exportUrls }
            : undefined,
      }),
    ),
    withPorts("users", ["accounts", "callerProofs", "audit", "recovery", "store"], (ports) =>
      createUsersService({
        ...ports,
        deletionGraceMs: config.accountDeletionGraceMs,
        now: options.now ?? Date.now,
      }),
    ),
    // The admin API sits beside the accounts whose rows say who is an admin.
    withPorts("users", ["store", "audit"], (ports) =>
      createAdminService({ ...ports, now: options.now ?? Date.now }),
    ),
    // Reports and the moderation queue, beside the accounts whose rows say who is a moderator.
    withPorts("users", ["store", "audit", "accounts", "ids"], (ports) =>
      createModerationService({
        ...ports,
        holdReporters: config.moderation.holdReporters,
        now: options.now ?? Date.now,
      }),
    ),
    withPorts("graph", ["graph", "accounts", "notifier"], createGraphService),
    withPorts("posts", ["posts", "accounts"], createPostsService),
    withPorts("timeline", ["store", "timeline", "posts", "graph"], ({ store, timeline, posts, graph }) =>
      createTimelineService({ store, ...timeline, posts, graph, publish }),
    ),
    withPorts("interactions", ["interactions", "posts", "views", "insights"], createInteractionsService),
    withPorts("stories", ["stories"], createStoriesService),
    withPorts("discovery", ["discovery", "posts"], createDiscoveryService),
    withPorts("search", ["search", "store"], createSearchService),
    withPorts("inbox", ["inbox", "posts", "push"], createInboxService),
    withPorts("media", ["media"], ({ media }) =>
      createMediaService({ ...media, transcodeTimeoutMs: config.media.transcodeTimeoutMs }),
    ),
    // Data exports beside the media records and blobs their originals come from.
    withPorts("media", ["exports", "callerProofs"], createExportService),
    withPorts("transcoder", ["blobs"], ({ blobs }) =>
      createTranscoderService({
        blobs,
        concurrency: config.media.transcoderConcurrency,
        options: {
          ffmpegPath: config.media.ffmpegPath,
          ffprobePath: config.media.ffprobePath,
          timeoutMs: config.media.transcodeTimeoutMs,
        },
        metrics: metrics.transcoder,
      }),
    ),
  ];
  for (const service of services) {
    if (hosts(service.name)) broker.createService(createWithPorts(service, app));
  }
  // Every node but a console can be drained by name.
  const drainRequested = () => {
    if (options.onDrainRequested) options.onDrainRequested();
    else void node.drain().then(() => node.stop());
  };
  if (!(config.services !== "*" && config.services.length === 0)) {
    broker.createService(createLifecycleService(() => setImmediate(drainRequested)));
  }
  // moleculer-web made its server when the gateway service was created; it listens once the broker starts.
  const gatewayServer = (broker.getLocalService("gateway") as { server?: Server } | undefined)?.server;
  const connections = gatewayServer ? new ConnectionDrain(gatewayServer) : undefined;

  // A node without the gateway still answers probes and scrapes on its port; an operator's console (no
  // services) is no part of the deployment to probe, and must not take the port of a node beside it.
  const consoleOnly = config.services !== "*" && config.services.length === 0;
  // METRICS_PORT moves /metrics off the port clients reach, on every kind of node alike.
  const ownMetricsPort = config.http.metricsPort !== undefined && !consoleOnly;
  const endpoints = { readiness, metrics };
  const ops =
    hosts("gateway") || consoleOnly
      ? undefined
      : new OpsServer(endpoints, { probes: true, metrics: !ownMetricsPort });
  const metricsServer =
    ownMetricsPort && config.http.metricsPort !== undefined
      ? { port: config.http.metricsPort, server: new OpsServer(endpoints, { probes: false, metrics: true }) }
      : undefined;
  let opsPort: number | undefined;
  let boundMetricsPort: number | undefined;

  const journal = app.journal
    ? new JournalResumer(app.journal, {
        everyMs: JOURNAL_RESUME_EVERY_MS,
        // Past the request timeout, so that nothing still running is completed under its feet.
        olderThanMs: Math.max(JOURNAL_MIN_AGE_MS, 3 * config.broker.requestTimeoutMs),
        lookbackMs: JOURNAL_LOOKBACK_MS,
        warn: (message, err) => broker.logger.warn(message, err instanceof Error ? err.message : err),
      })
    : undefined;

  let stopping: Promise<void> | undefined;
  let endDrain = () => {};
  const node: MosaicNode = {
    broker,
    app,
    async start() {
      // Before the first request: an embedded node completes what its last run was cut short of.
      const completed = await journal?.start(!config.broker.transporter);
      if (completed) broker.logger.info(`completed ${completed} write(s) cut short by the last stop`);
      await broker.start();
      if (ops) opsPort = await ops.listen(config.http.port, config.http.host);
      if (metricsServer)
        boundMetricsPort = await metricsServer.server.listen(metricsServer.port, config.http.host);
    },
    async drain(ms = config.shutdownDrainMs) {
      lifecycle.enter("draining");
      if (!connections || ms === 0 || stopping) return;
      connections.stopKeepAlive();
      broker.logger.info(
        `not ready from now; serving ${ms / 1000} s more while load balancers take this node out`,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        // A stop that comes first ends the drain: nothing is left to wait for.
        endDrain = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
    stop() {
      stopping ??= (async () => {
        lifecycle.enter("closing");
        endDrain();
        // The HTTP edge first, so no new request starts while the services behind it finish theirs: no new
        // connections, streams told to reconnect (to a node still ready), then the requests in flight.
        if (connections) {
          const open = `${connections.pending - streams.openCount()} request(s) in flight`;
          broker.logger.info(
            `closing the listener; ${open}, ${streams.openCount()} stream(s) told to reconnect`,
          );
        }
        const closed = connections?.close(config.shutdownGraceMs);
        streams.closeAll({ reconnect: true });
        const outcome = await closed;
        if (outcome && outcome.cut > 0) {
          broker.logger.warn(`cut ${outcome.cut} request(s) still running after SHUTDOWN_GRACE_MS`);
        }
        const gateway = broker.getLocalService("gateway");
        if (gateway) await broker.destroyService(gateway);
        journal?.stop();
        // Tells the other nodes first that this one serves nothing more, waits for the calls it is running, then
        // says goodbye: they drop it at once rather than after the heartbeat timeout, and its actors move.
        await broker.stop();
        await ops?.close();
        await metricsServer?.server.close();
        await app.close();
      })();
      return stopping;
    },
    httpPort,
    metricsPort: () => boundMetricsPort,
  };
  return node;

  /**
   * Undefined until the port is known (PORT=0 binds one at start): asking the socket every time costs a system
   * call, and every media URL of every answer asks (a sixth of a feed read's CPU when it did).
   */
  function knownBaseUrl(): string | undefined {
    if (config.publicUrl !== undefined) return config.publicUrl;
    const port = httpPort();
    return port === undefined ? undefined : `http://${displayHost(config.http.host)}:${port}`;
  }

  function httpPort(): number | undefined {
    const gateway = broker.getLocalService("gateway") as { server?: Server } | undefined;
    const address = gateway?.server?.address();
    return typeof address === "object" && address !== null ? address.port : opsPort;
  }
}

/** A wildcard bind address is no address a client can use. */
function displayHost(host: string): string {
  return host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
}

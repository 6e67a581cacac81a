import type { ServerResponse } from "node:http";
import type { SessionEnded, StreamDelivery, StreamEvent } from "../../lib/stream/events";

/** A client that reads slower than events arrive is cut off rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;
/**
 * How long the ids a replay wrote are remembered: an event is logged before it is published, so its live copy
 * can arrive a moment after a replay that already read it from the log.
 */
const REPLAYED_MEMORY_MS = 30_000;
/** Past this many batches a client is better served by reloading its lists than by a flood of events. */
const MAX_REPLAY_BATCHES = 20;

/**
 * How long a client waits before reconnecting to a stream this node closed on shutdown: at least the base, plus
 * up to the jitter, so that the streams of a stopping node do not all land on the others at the same instant.
 */
const RECONNECT_BASE_MS = 500;
const RECONNECT_JITTER_MS = 2_000;

export interface EventStreamOptions {
  maxPerUser: number;
  heartbeatMs: number;
  /** What the user's inbox kept after `afterId`, oldest first (the gateway asks the inbox owner). */
  replay: (userId: string, afterId: string) => Promise<StreamEvent[]>;
  /** The most events one replay call answers: a full batch means more may follow. */
  replayBatch: number;
  /** A fresh id (a Snowflake id: a point in time comparable with the inbox's event ids). */
  mintId: () => Promise<string>;
  onError: (message: string, err: unknown) => void;
  /** Hears of each live event written to a stream (not replays), for the delivery metrics. */
  delivered?: (event: StreamEvent) => void;
  /** Told a user has a stream open here (on open and at each heartbeat) and when their last one here closes. */
  presence?: { seen(userId: string): Promise<void>; gone(userId: string): Promise<void> };
}

interface Connection {
  userId: string;
  sessionId: string;
  res: ServerResponse;
  heartbeat: NodeJS.Timeout;
  /** Live events held back while a replay is being written, so that they come after it. */
  pending: StreamEvent[] | undefined;
  /** Ids already written by the replay, so that a live event it also holds is not sent twice. */
  replayed: Set<string>;
  /**
   * The id a reconnect should resume from: the last inbox event written, or where this stream started. Feed
   * events are not kept by the inbox, so they carry this id instead of their own: resuming after one replays
   * exactly the inbox events after the last one the client has.
   */
  resumeFrom: string;
}

/**
 * The open `GET /api/stream` connections of this gateway node. Every gateway receives every delivery (a
 * Moleculer broadcast) and writes it to the connections of the users it names; a reconnect with Last-Event-ID
 * first replays from the inbox what it missed, then goes live without gaps or repeats.
 */
export class EventStreams {
  private readonly byUser = new Map<string, Connection[]>();
  /** Set once the node is shutting down: streams opened from then on are told to reconnect elsewhere at once. */
  private shuttingDown = false;

  constructor(private readonly options: EventStreamOptions) {}

  async open(
    res: ServerResponse,
    caller: { userId: string; sessionId: string },
    lastEventId: string | undefined,
  ): Promise<void> {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      // Proxies such as nginx would otherwise hold events back in their buffers.
      "X-Accel-Buffering": "no",
    });
    const resumeFrom = lastEventId ?? (await this.options.mintId());
    if (this.shuttingDown) {
      // Came in on a connection opened before the listener closed: to be resumed on another node.
      res.write(reconnectHint(resumeFrom));
      res.end();
      return;
    }
    res.write(": connected\n\n");
    const connection: Connection = {
      userId: caller.userId,
      sessionId: caller.sessionId,
      res,
      heartbeat: setInterval(() => {
        this.write(connection, ": heartbeat\n\n");
        this.mark(connection.userId, "seen");
      }, this.options.heartbeatMs),
      pending: lastEventId === undefined ? undefined : [],
      replayed: new Set(),
      resumeFrom,
    };
    connection.heartbeat.unref();
    this.add(connection);
    res.on("close", () => this.remove(connection));

    if (lastEventId === undefined) return;
    try {
      // The inbox answers a bounded batch at a time; a client away for long gets it in several.
      let after = lastEventId;
      for (let batch = 0; batch < MAX_REPLAY_BATCHES; batch++) {
        const events = await this.options.replay(caller.userId, after);
        for (const event of events) {
          connection.replayed.add(event.id);
          connection.resumeFrom = event.id;
          this.send(connection, event);
        }
        const last = events[events.length - 1];
        if (last === undefined || events.length < this.options.replayBatch) break;
        after = last.id;
      }
    } catch (err: unknown) {
      // Ending the stream makes the client reconnect from the same id, when the inbox answers again; staying
      // open would leave a gap nobody notices.
      this.options.onError("stream replay failed", err);
      this.close(connection);
      return;
    }
    const held = connection.pending ?? [];
    connection.pending = undefined;
    for (const event of held) this.deliverTo(connection, event);
    setTimeout(() => connection.replayed.clear(), REPLAYED_MEMORY_MS).unref();
  }

  deliver(delivery: StreamDelivery): void {
    for (const userId of delivery.userIds) {
      for (const connection of this.byUser.get(userId) ?? []) {
        if (connection.pending) connection.pending.push(delivery.event);
        else this.deliverTo(connection, delivery.event);
      }
    }
  }

  private deliverTo(connection: Connection, event: StreamEvent): void {
    if (event.event === "feed") {
      this.send(connection, { ...event, id: connection.resumeFrom });
      this.options.delivered?.(event);
      return;
    }
    if (connection.replayed.has(event.id)) return;
    connection.resumeFrom = event.id;
    this.send(connection, event);
    this.options.delivered?.(event);
  }

  /** Logout: the streams opened with that session's token end with it. */
  endSession(ended: SessionEnded): void {
    for (const connection of [...(this.byUser.get(ended.userId) ?? [])]) {
      if (connection.sessionId === ended.sessionId) this.close(connection);
    }
  }

  /**
   * Shutdown: the HTTP server cannot close while streams hold their sockets open. With `reconnect`, each stream
   * is first told to reconnect soon (an SSE `retry:`) from where it is (an `id:` line, which browsers send back
   * as Last-Event-ID), so that it resumes on another gateway node without a gap; streams opened after this are
   * told the same at once.
   */
  closeAll(options: { reconnect?: boolean } = {}): void {
    if (options.reconnect === true) this.shuttingDown = true;
    for (const connections of [...this.byUser.values()]) {
      for (const connection of [...connections]) {
        if (options.reconnect === true) this.write(connection, reconnectHint(connection.resumeFrom));
        this.close(connection);
      }
    }
  }

  openCount(userId?: string): number {
    if (userId !== undefined) return this.byUser.get(userId)?.length ?? 0;
    let n = 0;
    for (const connections of this.byUser.values()) n += connections.length;
    return n;
  }

  private add(connection: Connection): void {
    const connections = [...(this.byUser.get(connection.userId) ?? []), connection];
    this.byUser.set(connection.userId, connections);
    this.mark(connection.userId, "seen");
    // Past the bound the oldest go: most likely tabs or devices the user has left.
    for (const oldest of connections.slice(0, Math.max(0, connections.length - this.options.maxPerUser))) {
      this.close(oldest);
    }
  }

  private remove(connection: Connection): void {
    clearInterval(connection.heartbeat);
    const connections = this.byUser.get(connection.userId);
    if (connections === undefined) return;
    const rest = connections.filter((c) => c !== connection);
    if (rest.length > 0) this.byUser.set(connection.userId, rest);
    else {
      this.byUser.delete(connection.userId);
      this.mark(connection.userId, "gone");
    }
  }

  /** Presence is a hint for pushes: a cache that fails costs a push too many, never the stream. */
  private mark(userId: string, state: "seen" | "gone"): void {
    const presence = this.options.presence;
    if (presence === undefined) return;
    presence[state](userId).catch((err: unknown) => this.options.onError("stream presence failed", err));
  }

  private close(connection: Connection): void {
    this.remove(connection);
    connection.res.end();
  }

  private send(connection: Connection, event: StreamEvent): void {
    // JSON never holds a raw line break, so the data is one `data:` line.
    this.write(connection, `id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }

  private write(connection: Connection, text: string): void {
    if (connection.res.writableEnded || connection.res.destroyed) return;
    if (connection.res.writableLength > MAX_BUFFERED_BYTES) {
      this.remove(connection);
      connection.res.destroy();
      return;
    }
    connection.res.write(text);
  }
}

/**
 * The last block of a stream closed by a node shutting down: a comment saying why (for people reading the
 * stream), the reconnection delay, and the resume point.
 */
function reconnectHint(resumeFrom: string): string {
  const retryMs = RECONNECT_BASE_MS + Math.floor(Math.random() * RECONNECT_JITTER_MS);
  return `: reconnect, this node is shutting down\nretry: ${retryMs}\nid: ${resumeFrom}\n\n`;
}

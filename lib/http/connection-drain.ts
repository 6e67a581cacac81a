import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** What became of the requests that were in flight when the server stopped taking connections. */
export interface DrainOutcome {
  /** Requests that finished by themselves within the grace. */
  finished: number;
  /** Requests still running at the end of the grace, whose connections were cut. */
  cut: number;
}

/**
 * Closes an HTTP server without resetting anyone. `server.close()` alone stops new connections but leaves
 * keep-alive sockets open: one whose request was in flight answers `Connection: keep-alive` and idles on, and a
 * client that sends its next request on it as the keep-alive timeout closes it gets a reset. So, once the node
 * stops serving, every answer says `Connection: close` (Node then ends the socket after it), and each socket
 * that still goes idle is closed at once; past the grace, what still runs is cut.
 */
export class ConnectionDrain {
  private readonly inFlight = new Set<ServerResponse>();
  private keepAlive = true;
  private closing = false;
  private wake: (() => void) | undefined;

  constructor(private readonly server: Server) {
    // First, so that the answer of every request, whoever handles it, is known before its headers go out.
    server.prependListener("request", (_req: IncomingMessage, res: ServerResponse) => this.track(res));
  }

  /** Requests being worked on now (event streams included, until they are ended). */
  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * From now on answers close their connection: clients reconnect, and a load balancer sends the new
   * connection to a node that is still ready. Answers whose headers are out already are left as they are.
   */
  stopKeepAlive(): void {
    this.keepAlive = false;
    for (const res of this.inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
  }

  /**
   * Stops taking connections, closes the idle ones, and waits up to `graceMs` for the requests in flight; then
   * cuts the connections that are left. Event streams never end by themselves: end them after calling this.
   */
  async close(graceMs: number): Promise<DrainOutcome> {
    this.stopKeepAlive();
    this.closing = true;
    const before = this.inFlight.size;
    // Closes the idle sockets too (Node ≥ 19); the callback would wait for every socket, so it is not awaited.
    if (this.server.listening) this.server.close();
    this.server.closeIdleConnections();
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
      this.wake = undefined;
    }
    const cut = this.inFlight.size;
    this.server.closeAllConnections();
    return { finished: before - cut, cut };
  }

  private track(res: ServerResponse): void {
    this.inFlight.add(res);
    if (!this.keepAlive) res.shouldKeepAlive = false;
    res.once("close", () => {
      this.inFlight.delete(res);
      if (!this.closing) return;
      // A socket whose answer went out with keep-alive before the close is idle only after this turn.
      setImmediate(() => this.server.closeIdleConnections());
      if (this.inFlight.size === 0) this.wake?.();
    });
  }
}

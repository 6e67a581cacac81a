import net from "node:net";

export interface RawResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/**
 * An HTTP/1.1 client on a bare socket, for what fetch cannot do: send a body that stalls or never ends, or send
 * a whole body before reading anything (as simple clients do, so a server that closes early resets them).
 */
export class RawConnection {
  private readonly socket: net.Socket;
  private received = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();
  private closedFlag = false;
  private failure: Error | undefined;
  readonly closed: Promise<void>;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = net.connect(Number(port), hostname);
    // Nothing is read until asked: what the server sends waits in the socket, as with a client busy sending.
    this.socket.pause();
    this.socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    this.socket.on("error", (err) => {
      this.failure = err;
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      this.socket.once("close", () => {
        this.closedFlag = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** Writes bytes, waiting until the socket took them; rejects when the server reset the connection. */
  async write(bytes: string | Buffer): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
    if (this.failure) throw this.failure;
  }

  /** Reads one response (headers and a Content-Length body); rejects on a reset or a close before it. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    this.socket.resume();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse();
      if (parsed) return parsed;
      if (this.failure) throw this.failure;
      if (this.closedFlag)
        throw new Error(`connection closed before a whole response: ${this.received.toString()}`);
      if (Date.now() > deadline) throw new Error("no response in time");
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        setTimeout(resolve, Math.max(1, deadline - Date.now())).unref();
      });
    }
  }

  /** Whether the server closes the connection within `ms`. */
  async closesWithin(ms: number): Promise<boolean> {
    this.socket.resume();
    return Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
    ]);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): RawResponse | undefined {
    const end = this.received.indexOf("\r\n\r\n");
    if (end < 0) return undefined;
    const [statusLine = "", ...lines] = this.received.subarray(0, end).toString("latin1").split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers["content-length"] ?? "0");
    if (this.received.length < end + 4 + length) return undefined;
    const body = this.received.subarray(end + 4, end + 4 + length).toString("utf8");
    this.received = this.received.subarray(end + 4 + length);
    return { status: Number(statusLine.split(" ")[1]), headers, body };
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }
}

/** The head of a request, with `Host` and the given headers. */
export function requestHead(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ host: "mosaic.test", ...headers }).map(
    ([name, value]) => `${name}: ${value}`,
  );
  return `${method} ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
}

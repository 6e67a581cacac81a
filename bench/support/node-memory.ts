import { createWriteStream } from "node:fs";
import { readFile, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";

/**
 * The memory of another Node process, for benches that run a node as a child: what the kernel says (resident set
 * size, open file descriptors, from /proc) and what V8 says after a full collection, asked over the inspector
 * protocol (the child is started with `--inspect=127.0.0.1:0`; Node's global WebSocket speaks to it). Nothing is
 * added to the node for this: the inspector is Node's own, bound to the loopback address, and only benches use it.
 */

export interface KernelView {
  rssBytes: number;
  openFds: number;
  /** Open descriptors by what they are: socket, pipe, anon_inode, or a file by its extension (`.ldb`, `.log`…). */
  fdKinds: Map<string, number>;
}

/** VmRSS from /proc/<pid>/status, and the entries of /proc/<pid>/fd (Linux). */
export async function kernelView(pid: number): Promise<KernelView> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  const fds = await readdir(`/proc/${pid}/fd`);
  const fdKinds = new Map<string, number>();
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "closed meanwhile");
    const kind = /^(socket|pipe|anon_inode):/.exec(target)?.[1] ?? (path.extname(target) || target);
    fdKinds.set(kind, (fdKinds.get(kind) ?? 0) + 1);
  }
  return { rssBytes: kb * 1024, openFds: fds.length, fdKinds };
}

/** `process.memoryUsage()` of the child, in bytes. */
export interface HeapView {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** The `ws://` address a child started with `--inspect` prints on stderr; rejects if it exits first. */
export function inspectorUrl(stderr: Readable, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => finish(new Error("no inspector address on stderr")), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /Debugger listening on (ws:\/\/\S+)/.exec(seen);
      if (match?.[1] !== undefined) finish(undefined, match[1]);
      if (seen.length > 100_000) seen = seen.slice(-1000);
    };
    const onEnd = () => finish(new Error("the process closed stderr before its inspector listened"));
    const finish = (error: Error | undefined, url?: string) => {
      clearTimeout(timer);
      stderr.off("data", onData);
      stderr.off("end", onEnd);
      if (url !== undefined) resolve(url);
      else reject(error ?? new Error("no inspector address"));
    };
    stderr.on("data", onData);
    stderr.on("end", onEnd);
  });
}

interface CdpReply {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}

/** A Chrome DevTools Protocol session on a Node inspector: commands in, replies and events out. */
export class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, (params: unknown) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (event: MessageEvent) => {
      const reply = JSON.parse(String(event.data)) as CdpReply;
      if (reply.id !== undefined) {
        const waiter = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if (reply.error) waiter?.reject(new Error(reply.error.message));
        else waiter?.resolve(reply.result);
      } else if (reply.method !== undefined) {
        this.listeners.get(reply.method)?.(reply.params);
      }
    });
    socket.addEventListener("close", () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error("the inspector closed"));
      this.pending.clear();
    });
  }

  static connect(url: string): Promise<InspectorSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.addEventListener("open", () => resolve(new InspectorSession(socket)), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot reach the inspector at ${url}`)), {
        once: true,
      });
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  on(method: string, listener: (params: unknown) => void): void {
    this.listeners.set(method, listener);
  }

  close(): void {
    this.socket.close();
  }

  /** A full garbage collection, then `process.memoryUsage()`: the heap that is really held. */
  async heapAfterGc(): Promise<HeapView> {
    await this.send("HeapProfiler.collectGarbage");
    const reply = (await this.send("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    })) as { result?: { value?: unknown } };
    const value = reply.result?.value;
    if (typeof value !== "string") throw new Error("process.memoryUsage() gave no answer");
    return JSON.parse(value) as HeapView;
  }

  /** Writes a heap snapshot (for Chrome DevTools' Memory tab) to `file`. */
  async heapSnapshot(file: string): Promise<void> {
    const out = createWriteStream(file);
    this.on("HeapProfiler.addHeapSnapshotChunk", (params) => {
      out.write((params as { chunk: string }).chunk);
    });
    await this.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}

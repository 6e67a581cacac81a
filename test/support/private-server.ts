import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { freePort } from "./free-port";

/**
 * A Redis or NATS server of the test's own, on a free port, that the test may kill, pause (SIGSTOP: connections
 * stay open and hang) and start again on the same port: outages staged without touching the shared servers
 * other suites use.
 */
export class PrivateServer {
  private child: ChildProcess | undefined;
  private log = "";

  private constructor(
    private readonly command: string,
    private readonly args: readonly string[],
    readonly port: number,
  ) {}

  static async redis(): Promise<PrivateServer> {
    const port = await freePort();
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    const server = new PrivateServer("redis-server", args, port);
    await server.start();
    return server;
  }

  static async nats(): Promise<PrivateServer> {
    const port = await freePort();
    const server = new PrivateServer("nats-server", ["-a", "127.0.0.1", "-p", String(port)], port);
    await server.start();
    return server;
  }

  get url(): string {
    return `${this.command === "redis-server" ? "redis" : "nats"}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.command} already runs`);
    this.log = "";
    const child = spawn(this.command, [...this.args], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d: Buffer) => (this.log += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.log += d.toString()));
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${this.command} on ${this.port} did not start:\n${this.log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Gone: connections are closed and new ones refused. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    await exited;
  }

  /** Hung: connections stay open, nothing is answered. */
  pause(): void {
    this.child?.kill("SIGSTOP");
  }

  resume(): void {
    this.child?.kill("SIGCONT");
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

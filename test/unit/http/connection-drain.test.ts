import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { expect } from "chai";
import { ConnectionDrain } from "../../../lib/http/connection-drain";

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
  socket: Socket;
}

/** A GET over `agent`, with the socket it went over. */
function get(port: number, agent: http.Agent, path = "/"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ port, host: "127.0.0.1", path, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          connection: res.headers.connection,
          body,
          socket: req.socket!,
        }),
      );
    });
    req.on("error", reject);
  });
}

const closed = (socket: Socket) =>
  socket.destroyed
    ? Promise.resolve()
    : new Promise<void>((resolve) => socket.once("close", () => resolve()));

/** A deferred step: `open()` lets it through, `reached` resolves once something waits on it. */
class Gate {
  open!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  private arrive!: () => void;
  readonly reached = new Promise<void>((resolve) => (this.arrive = resolve));
  pass(): Promise<void> {
    this.arrive();
    return this.opened;
  }
}

/**
 * A server whose `/slow` answers when its gate opens, and whose `/early` sends its headers at once and its body
 * when its gate opens; everything else answers at once.
 */
async function server(): Promise<{
  port: number;
  server: http.Server;
  drain: ConnectionDrain;
  slow: Gate;
  early: Gate;
}> {
  const slow = new Gate();
  const early = new Gate();
  const s = http.createServer((req, res) => {
    if (req.url === "/slow") void slow.pass().then(() => res.end("slow"));
    else if (req.url === "/early") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      void early.pass().then(() => res.end("early"));
    } else res.end("fast");
  });
  // Idle sockets stay until something closes them: only the drain may.
  s.keepAliveTimeout = 0;
  const drain = new ConnectionDrain(s);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return { port: (s.address() as AddressInfo).port, server: s, drain, slow, early };
}

describe("ConnectionDrain", () => {
  const agents: http.Agent[] = [];
  const servers: http.Server[] = [];
  const agent = () => {
    const a = new http.Agent({ keepAlive: true });
    agents.push(a);
    return a;
  };
  afterEach(() => {
    for (const a of agents.splice(0)) a.destroy();
    for (const s of servers.splice(0)) s.closeAllConnections();
  });

  it("keeps connections alive while serving, and closes them after each answer once told to stop", async () => {
    const t = await server();
    servers.push(t.server);
    const a = agent();
    expect((await get(t.port, a)).connection).to.equal("keep-alive");
    t.drain.stopKeepAlive();
    const answer = await get(t.port, a);
    expect(answer.status).to.equal(200);
    expect(answer.connection).to.equal("close");
    await closed(answer.socket);
    await t.drain.close(1_000);
  });

  it("finishes a request in flight at the close with Connection: close, and then takes no connection", async () => {
    const t = await server();
    servers.push(t.server);
    const a = agent();
    const idle = (await get(t.port, a)).socket;
    const slow = get(t.port, agent(), "/slow");
    await t.slow.reached;
    const closing = t.drain.close(10_000);
    // The idle keep-alive socket goes at once, before anything is sent on it.
    await closed(idle);
    t.slow.open();
    const answer = await slow;
    expect(answer).to.include({ status: 200, body: "slow", connection: "close" });
    expect(await closing).to.deep.equal({ finished: 1, cut: 0 });
    const refused = await get(t.port, agent()).then(
      () => "answered",
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(refused).to.equal("ECONNREFUSED");
  });

  it("closes a socket whose keep-alive answer began before the close as soon as that answer ends", async () => {
    const t = await server();
    servers.push(t.server);
    const early = get(t.port, agent(), "/early");
    const slow = get(t.port, agent(), "/slow");
    await Promise.all([t.early.reached, t.slow.reached]);
    const closing = t.drain.close(10_000);
    t.early.open();
    const answer = await early;
    expect(answer.connection).to.equal("keep-alive");
    // While another request still runs. Left to itself, Node keeps such a socket for the keep-alive timeout, and a
    // client may send its next request on it just as it closes.
    await closed(answer.socket);
    t.slow.open();
    await slow;
    expect(await closing).to.deep.equal({ finished: 2, cut: 0 });
  });

  it("cuts what still runs at the end of the grace, and says how many", async () => {
    const t = await server();
    servers.push(t.server);
    const slow = get(t.port, agent(), "/slow").then(
      () => "answered",
      (err: NodeJS.ErrnoException) => err.code,
    );
    await t.slow.reached;
    expect(await t.drain.close(50)).to.deep.equal({ finished: 0, cut: 1 });
    expect(await slow).to.equal("ECONNRESET");
    t.slow.open();
  });
});

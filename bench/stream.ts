import http from "node:http";
import type { AddressInfo } from "node:net";
import { signup, startTestNode } from "../test/support/test-node";
import { Client, ms, openSse, runPool, summarise, type Answer, type SseStream } from "./support/measure";
import { positiveIntOption } from "./support/options";
import { BENCH_ENV } from "./support/processes";

/**
 * How fast a direct message reaches the recipient's open `GET /api/stream`: for each message, the time from the
 * sender's POST /api/conversations/:id/messages (its start, and its answer) to the event's arrival on the
 * recipient's stream, one message at a time and then many in flight. The reference, in the same run and through
 * the same client: a bare node:http server whose POST writes the same event to the open stream and answers the
 * same body.
 *
 * The node, the reference and the client share this one process (and event loop), as the tests' node does.
 * Mosaic publishes the event before it answers the send, so "answer to event" is often negative: the event
 * came first. Both are reported as measured.
 *
 *   npx tsx bench/stream.ts [--messages 300] [--concurrency 50]
 */

interface Options {
  messages: number;
  concurrency: number;
}

interface Sample {
  send: number;
  fromStart: number;
  fromAnswer: number;
}

interface PhaseResult {
  samples: Sample[];
  missing: number;
  duplicates: number;
  seconds: number;
}

interface Target {
  name: string;
  client: Client;
  stream: SseStream;
  /** performance.now() of each message event by its text, and how many times it came. */
  arrivals: Map<string, { at: number; times: number }>;
  waiters: Map<string, () => void>;
  send(text: string): Promise<Answer>;
}

const WARM_MESSAGES = 30;
const EVENT_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const t = await startTestNode({ ...BENCH_ENV });
  const problems: string[] = [];
  const results = new Map<string, { sequential: PhaseResult; concurrent: PhaseResult }>();
  try {
    const [sender, recipient] = [await signup(t.url, "bench_sender"), await signup(t.url, "bench_recipient")];
    const client = new Client(t.url, options.concurrency);
    const opened = await client.request({
      method: "POST",
      path: "/api/conversations",
      token: sender.token,
      body: { usernames: [recipient.username] },
    });
    if (opened.status !== 201 && opened.status !== 200) {
      throw new Error(`POST /api/conversations: ${opened.status} ${opened.body}`);
    }
    const conversationId = (JSON.parse(opened.body) as { id: string }).id;
    const stream = await openSse(t.url, "/api/stream", recipient.token);
    if (stream.status !== 200) throw new Error(`GET /api/stream: ${stream.status}`);
    const mosaic = target("mosaic", client, stream, (text) =>
      client.request({
        method: "POST",
        path: `/api/conversations/${conversationId}/messages`,
        token: sender.token,
        body: { text },
      }),
    );
    let template: string | undefined;
    try {
      progress("mosaic: warming up");
      template = await warm(mosaic, options.concurrency);
      progress(`mosaic: ${options.messages} messages one at a time`);
      const sequential = await oneAtATime(mosaic, options.messages, "seq");
      progress(`mosaic: ${options.messages} messages, ${options.concurrency} in flight`);
      const concurrent = await inFlight(mosaic, options.messages, options.concurrency, "conc");
      results.set("mosaic", { sequential, concurrent });
    } finally {
      stream.close();
      client.close();
    }

    const bare = await startBareSse(template);
    const bareClient = new Client(bare.url, options.concurrency);
    const bareStream = await openSse(bare.url, "/api/stream", recipient.token);
    const reference = target("bare", bareClient, bareStream, (text) =>
      bareClient.request({
        method: "POST",
        path: `/api/conversations/${conversationId}/messages`,
        token: sender.token,
        body: { text },
      }),
    );
    try {
      progress("bare node:http: warming up");
      await warm(reference, options.concurrency);
      progress("bare node:http: one at a time");
      const sequential = await oneAtATime(reference, options.messages, "seq");
      progress("bare node:http: in flight");
      const concurrent = await inFlight(reference, options.messages, options.concurrency, "conc");
      results.set("bare node:http", { sequential, concurrent });
    } finally {
      bareStream.close();
      bareClient.close();
      await bare.close();
    }
  } finally {
    await t.stop();
  }
  for (const [name, r] of results) {
    for (const [phase, p] of Object.entries(r)) {
      if (p.missing > 0) problems.push(`${name} ${phase}: ${p.missing} events never arrived`);
      if (p.duplicates > 0) problems.push(`${name} ${phase}: ${p.duplicates} events arrived more than once`);
    }
  }
  printReport(options, results);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`WRONG: ${problem}`);
    process.exit(1);
  }
}

function target(
  name: string,
  client: Client,
  stream: SseStream,
  send: (text: string) => Promise<Answer>,
): Target {
  const arrivals = new Map<string, { at: number; times: number }>();
  const waiters = new Map<string, () => void>();
  stream.onEvent((event) => {
    if (event.event !== "message") return;
    const text = (JSON.parse(event.data) as { text?: string }).text ?? "";
    const seen = arrivals.get(text);
    if (seen) seen.times++;
    else arrivals.set(text, { at: event.at, times: 1 });
    waiters.get(text)?.();
  });
  return { name, client, stream, arrivals, waiters, send };
}

/**
 * Sends a few messages one at a time, then a few rounds with `concurrency` in flight (so that every pooled
 * connection is open before measuring), and answers the body of the first send: the template of the reference's
 * answers.
 */
async function warm(target: Target, concurrency: number): Promise<string> {
  let body = "";
  for (let i = 0; i < WARM_MESSAGES; i++) {
    const text = `warm-${i}`;
    const answer = await sendOk(target, text);
    await arrival(target, text);
    body ||= answer.body;
  }
  const texts: string[] = [];
  await runPool(concurrency * 2, concurrency, async (i) => {
    const text = `warm-flight-${i}`;
    texts.push(text);
    await sendOk(target, text);
  });
  await Promise.all(texts.map((text) => arrival(target, text)));
  return body;
}

/** Each message sent once the previous one has been answered and has arrived. */
async function oneAtATime(target: Target, count: number, tag: string): Promise<PhaseResult> {
  const answers: { text: string; answer: Answer }[] = [];
  const began = performance.now();
  for (let i = 0; i < count; i++) {
    const text = `${tag}-${i}`;
    answers.push({ text, answer: await sendOk(target, text) });
    await arrival(target, text).catch(() => undefined);
  }
  return collect(target, answers, began);
}

/** `count` messages, `concurrency` sends in flight at once; then every event is waited for. */
async function inFlight(
  target: Target,
  count: number,
  concurrency: number,
  tag: string,
): Promise<PhaseResult> {
  const answers: { text: string; answer: Answer }[] = [];
  const began = performance.now();
  await runPool(count, concurrency, async (i) => {
    const text = `${tag}-${i}`;
    answers.push({ text, answer: await sendOk(target, text) });
  });
  await Promise.all(answers.map(({ text }) => arrival(target, text).catch(() => undefined)));
  return collect(target, answers, began);
}

function collect(target: Target, answers: { text: string; answer: Answer }[], began: number): PhaseResult {
  const samples: Sample[] = [];
  let missing = 0;
  let duplicates = 0;
  for (const { text, answer } of answers) {
    const arrived = target.arrivals.get(text);
    if (arrived === undefined) {
      missing++;
      continue;
    }
    if (arrived.times > 1) duplicates++;
    samples.push({
      send: answer.answeredAt - answer.startedAt,
      fromStart: arrived.at - answer.startedAt,
      fromAnswer: arrived.at - answer.answeredAt,
    });
  }
  return { samples, missing, duplicates, seconds: (performance.now() - began) / 1000 };
}

async function sendOk(target: Target, text: string): Promise<Answer> {
  const answer = await target.send(text);
  if (answer.status !== 201) throw new Error(`${target.name}: send answered ${answer.status} ${answer.body}`);
  return answer;
}

function arrival(target: Target, text: string): Promise<void> {
  if (target.arrivals.has(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.waiters.delete(text);
      reject(new Error(`${target.name}: no event for ${text} within ${EVENT_TIMEOUT_MS} ms`));
    }, EVENT_TIMEOUT_MS);
    target.waiters.set(text, () => {
      clearTimeout(timer);
      target.waiters.delete(text);
      resolve();
    });
  });
}

/**
 * The reference: GET /api/stream opens a stream as the gateway does; a POST writes its message, built from the
 * template of Mosaic's answer, to every open stream as an event, then answers the same JSON with 201.
 */
async function startBareSse(template: string | undefined): Promise<{ url: string; close(): Promise<void> }> {
  const base = JSON.parse(template ?? "{}") as Record<string, unknown>;
  const streams = new Set<http.ServerResponse>();
  let sequence = 0n;
  const firstId = BigInt(typeof base.id === "string" ? base.id : "1000000000000000000");
  const server = http.createServer((req, res) => {
    if (req.method === "GET") {
      res.writeHead(200, {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-store",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no",
      });
      res.write(": connected\n\n");
      streams.add(res);
      res.on("close", () => streams.delete(res));
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const { text } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { text: string };
      const id = String(firstId + ++sequence);
      const view = { ...base, id, text, createdAt: new Date().toISOString() };
      const json = JSON.stringify(view);
      for (const stream of streams) stream.write(`id: ${id}\nevent: message\ndata: ${json}\n\n`);
      const body = Buffer.from(json);
      res.writeHead(201, {
        "content-type": "application/json; charset=utf-8",
        "content-length": body.length,
        "x-request-id": crypto.randomUUID(),
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function printReport(
  options: Options,
  results: Map<string, { sequential: PhaseResult; concurrent: PhaseResult }>,
): void {
  const rows: Record<string, Record<string, number>> = {};
  const p50 = new Map<string, { fromStart: number; send: number }>();
  for (const [name, r] of results) {
    for (const [phase, label] of [
      ["sequential", "1 at a time"],
      ["concurrent", `${options.concurrency} in flight`],
    ] as const) {
      const p = r[phase];
      const send = summarise(p.samples.map((s) => s.send));
      const fromStart = summarise(p.samples.map((s) => s.fromStart));
      const fromAnswer = summarise(p.samples.map((s) => s.fromAnswer));
      p50.set(`${name} ${phase}`, { fromStart: fromStart.p50, send: send.p50 });
      rows[`${name}, ${label}`] = {
        "msgs/s": Math.round(p.samples.length / p.seconds),
        "send p50": ms(send.p50),
        "send p99": ms(send.p99),
        "start→event p50": ms(fromStart.p50),
        "start→event p99": ms(fromStart.p99),
        "start→event max": ms(fromStart.max),
        "answer→event p50": ms(fromAnswer.p50),
        "answer→event p99": ms(fromAnswer.p99),
        "answer→event max": ms(fromAnswer.max),
        "event first": p.samples.filter((s) => s.fromAnswer < 0).length,
      };
    }
  }
  console.log(
    `direct messages to an open GET /api/stream: ${options.messages} messages one at a time, then ${options.messages} with ${options.concurrency} sends in flight; milliseconds; "event first": events that arrived before the send's answer (answer→event < 0)`,
  );
  console.table(rows);
  for (const phase of ["sequential", "concurrent"] as const) {
    const ours = p50.get(`mosaic ${phase}`);
    const ref = p50.get(`bare node:http ${phase}`);
    if (ours === undefined || ref === undefined) continue;
    console.log(
      `ratio mosaic / bare, ${phase}: start→event p50 ${(ours.fromStart / ref.fromStart).toFixed(1)}x, send p50 ${(ours.send / ref.send).toFixed(1)}x`,
    );
  }
}

function parseOptions(argv: readonly string[]): Options {
  const number = (name: string, fallback: number): number => positiveIntOption(argv, name, fallback);
  return { messages: number("messages", 300), concurrency: number("concurrency", 50) };
}

function progress(message: string): void {
  process.stderr.write(`[stream bench] ${message}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

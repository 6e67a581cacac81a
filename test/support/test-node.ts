import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../config";
import { createNode, type MosaicNode } from "../../broker/create-node";
import { cassandraNodeEnv } from "./cassandra";

export interface TestNode {
  node: MosaicNode;
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** A clock tests move by hand, so expiry is tested without sleeping. */
export class ManualClock {
  constructor(private ms = Date.now()) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** One embedded node with every service, on a random port and a fresh data dir. */
export async function startTestNode(
  env: Record<string, string> = {},
  options: { now?: () => number } = {},
): Promise<TestNode> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mosaic-test-"));
  const config = loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    RATE_LIMITS: "off",
    LOG_LEVEL: "error",
    CHECK_RESULTS: "on",
    NODE_ID: `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    // Rate limits counted in a shared Redis (the infra run) are per namespace: each test node counts its own,
    // not what earlier runs within the hour spent.
    NAMESPACE: `t${Math.random().toString(36).slice(2, 10)}`,
    // `npm run test:infra` runs the integration suites again on the real Cassandra.
    ...(process.env.MOSAIC_TEST_STORE === "cassandra" && cassandraNodeEnv()),
    // `npm run test:search` runs the search suite again on the real OpenSearch, each node under its own indices.
    ...(process.env.MOSAIC_TEST_SEARCH === "opensearch" && {
      SEARCH_URL: "http://127.0.0.1:9200",
      SEARCH_INDEX_PREFIX: `t${Math.random().toString(36).slice(2, 10)}`,
    }),
    ...env,
  });
  const node = await createNode(config, options);
  await node.start();
  const port = node.httpPort();
  if (port === undefined) throw new Error("the test node has no gateway");
  return {
    node,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    async stop() {
      await node.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** api.md's error envelope. */
export interface ErrorBody {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small HTTP client for the tests: JSON in, parsed JSON (and the raw text) out. */
export async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  route: string,
  options: {
    token?: string;
    body?: unknown;
    rawBody?: string | Buffer;
    headers?: Record<string, string>;
  } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const send = () => fetch(base + route, { method, headers, ...(body !== undefined && { body }) });
  // A pooled keep-alive socket the server closed a moment ago fails once; browsers retry such a GET too.
  const res = await send().catch((err: unknown) => {
    if (method === "GET" || method === "HEAD") return send();
    throw err;
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

let counter = 0;
/** A username no other test uses. */
export function uniqueName(prefix = "user"): string {
  counter++;
  return `${prefix}_${process.pid % 10000}_${counter}_${Math.random().toString(36).slice(2, 6)}`.slice(0, 30);
}

/** A signed-up user as the tests hold it. */
export interface Account {
  token: string;
  user: { id: string; username: string };
  username: string;
  password: string;
}

export async function signup(
  base: string,
  username = uniqueName(),
  password = "correct horse battery",
): Promise<Account> {
  const res = await api<{ token: string; user: { id: string; username: string } }>(
    base,
    "POST",
    "/api/auth/signup",
    {
      body: { username, email: `${username}@example.com`, password },
    },
  );
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  return { ...res.body, username, password };
}

import { randomBytes } from "node:crypto";
import { Client, errors } from "@opensearch-project/opensearch";
import type { Transport } from "@opensearch-project/opensearch";
import { PortError } from "../../errors/port-error";
import { SearchIndexClosedError, SearchUnavailableError, UnknownGenerationError } from "../errors";
import type {
  IndexOp,
  PostQuery,
  SearchGenerations,
  SearchHits,
  SearchIndex,
  SearchPaging,
  SearchType,
  TagHits,
  TagQuery,
  UserQuery,
} from "../search-index";
import { MAX_SEARCH_WINDOW } from "../search-index";
import { LiveGenerationDropError } from "../errors";
import { assertIndexOp } from "../index-ops";
import { TOMBSTONE_TYPE, generationBody } from "./index-definition";
import { postSearch, tagSearch, userSearch, wordsOf } from "./queries";
import type { PageRequest } from "./queries";
import {
  UnexpectedSearchResponseError,
  errorCauseOf,
  parseAliases,
  parseBulk,
  parseCount,
  healthStatusOf,
  parseSearchHits,
} from "./responses";

export interface OpenSearchIndexOptions {
  /** e.g. http://127.0.0.1:9200 (scripts/infra/opensearch.sh). */
  url: string;
  /** Names every index and alias of this deployment: `<prefix>-<generation stamp>`, `<prefix>-live`. */
  indexPrefix?: string;
  /** How long a query (and any other request but a bulk) may take, connecting included. Default 2,000 ms. */
  requestTimeoutMs?: number;
  /**
   * How long apply()'s bulk may take: it waits for the next refresh (up to a second) and a reindex sends it 500
   * documents at a time. Default the larger of requestTimeoutMs and 10,000 ms.
   */
  bulkTimeoutMs?: number;
  /** Replicas of each generation's one shard: 0 (the default) on a single node, 1 or more on a cluster. */
  replicas?: number;
  /** The clock of tombstones (tests move it). */
  now?: () => number;
}

type TransportRequestParams = Parameters<Transport["request"]>[0];

/** An answer the engine refused (a 4xx other than a missing index): a bug of ours, not an outage. */
export class SearchRequestRejectedError extends PortError {
  override readonly name = "SearchRequestRejectedError";
  readonly retryable = false;
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
  ) {
    super(message);
  }
}

const DEFAULT_PREFIX = "mosaic";
const DEFAULT_TIMEOUT_MS = 2_000;
const MIN_BULK_TIMEOUT_MS = 10_000;
const MAX_LIMIT = 100;
const PREFIX_PATTERN = /^[a-z0-9][a-z0-9_-]{0,99}$/;
const VERSION_PATTERN = /^[1-9][0-9]{0,18}$/;
const MAX_VERSION = 2n ** 63n - 1n;
/** Tombstones older than this are deleted for good (the port asks for ten minutes)... */
const TOMBSTONE_KEEP_MS = 60 * 60_000;
/** ...by a background delete-by-query that each instance starts at most this often. */
const TOMBSTONE_PURGE_EVERY_MS = 10 * 60_000;

/**
 * SearchIndex on OpenSearch (or Elasticsearch's core APIs) through `@opensearch-project/opensearch`.
 *
 * Layout. A generation is one physical index, `<prefix>-<yyyymmdd>t<hhmmss>-<random>`, holding the three document
 * types side by side (a `type` keyword tells them apart; `_id` is `<type>:<id>`, so versions are per document):
 * one name per generation keeps create, promote and drop single-index operations. One shard, so that ranking uses
 * exact term statistics. Queries and live writes go through the alias `<prefix>-live`, which points at exactly
 * one generation; promote() moves it with one `_aliases` request (remove + add: a reader sees the old index or
 * the new one, never neither nor both) and deletes the old index once no query started before the swap can still
 * be reading it (after the request timeout). A reindex writes to the new generation by its name.
 *
 * Writes. apply() sends one `_bulk`; each action carries `version_type=external` with the op's version, so the
 * engine ignores (409) a put or delete not newer than what it holds. A delete is not a `delete` action: it
 * overwrites the document with a tombstone of the same `_id` and version (`type: "deleted"`, which no query or
 * count reads), because the engine remembers the versions of real deletions in the node's heap only, and a
 * restarted node would let a late put bring a deleted document back. Tombstones older than an hour are deleted
 * for good by a background `_delete_by_query` that apply() starts every ten minutes; `index.gc_deletes` (15
 * minutes) then still covers that deletion. Live writes use
 * `refresh=wait_for` (they resolve once searchable, and many small batches share one refresh per second); writes
 * to a named generation (a reindex: few, large batches) use `refresh=true`, since waiting would cap a sequential
 * reindex at one batch per second. Live writes carry `require_alias`, so a missing alias fails instead of
 * auto-creating an index named like it; writes by generation name rely on the cluster refusing to auto-create
 * indices (scripts/infra/opensearch.sh sets `action.auto_create_index: false`; on a managed cluster, exclude
 * `<prefix>-*` from auto-creation), which turns a write to a dropped generation into UnknownGenerationError.
 *
 * Reads. Queries are built from `match`, `match_bool_prefix`, `term` and `terms` on named fields (see
 * `queries.ts`); visibility filters sit in `bool.filter` / `must_not`, so `from`/`size` count visible documents
 * only. A connection error, a timeout, a 429 or a 5xx becomes SearchUnavailableError; the client never retries
 * (the caller's outbox does), so a dead engine answers within the timeout.
 */
export class OpenSearchIndex implements SearchIndex {
  readonly generations: SearchGenerations;
  private readonly client: Client;
  private readonly prefix: string;
  private readonly liveAlias: string;
  private readonly generationPattern: RegExp;
  private readonly requestTimeoutMs: number;
  private readonly bulkTimeoutMs: number;
  private readonly replicas: number;
  private readonly now: () => number;
  private opening: Promise<void> | undefined;
  private closed = false;
  private lastPurge = 0;

  constructor(options: OpenSearchIndexOptions) {
    this.prefix = options.indexPrefix ?? DEFAULT_PREFIX;
    if (!PREFIX_PATTERN.test(this.prefix)) {
      throw new RangeError(
        `indexPrefix must be lower-case letters, digits, - or _: ${JSON.stringify(this.prefix)}`,
      );
    }
    this.liveAlias = `${this.prefix}-live`;
    this.generationPattern = new RegExp(`^${this.prefix}-[0-9]{8}t[0-9]{6}-[0-9a-z]{6}$`);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.bulkTimeoutMs = options.bulkTimeoutMs ?? Math.max(this.requestTimeoutMs, MIN_BULK_TIMEOUT_MS);
    this.replicas = options.replicas ?? 0;
    this.now = options.now ?? Date.now;
    this.client = new Client({
      node: options.url,
      requestTimeout: this.requestTimeoutMs,
      maxRetries: 0,
      // With one node, a node marked dead is still tried (the pool has no other), so pings would only add noise.
      resurrectStrategy: "none",
      suggestCompression: false,
    });
    this.generations = {
      live: () => this.liveGeneration(),
      create: () => this.createGeneration(),
      promote: (generation) => this.promote(generation),
      drop: (generation) => this.drop(generation),
      list: () => this.listGenerations(),
    };
  }

  identity(): string {
    return `opensearch:${this.prefix}`;
  }

  async open(): Promise<void> {
    this.assertOpen();
    // Once per instance; a failure (an outage at start) is forgotten so that the next call tries again.
    this.opening ??= this.ensureLive().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    await this.opening;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  /** The engine answers and the live generation's shard is started (a node answers before it has recovered). */
  async isReady(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const { status, body } = await this.send(
        { method: "GET", path: `/_cluster/health/${this.liveAlias}` },
        { ignore: [404, 408] },
      );
      return status === 200 && healthStatusOf(body) !== "red";
    } catch {
      return false;
    }
  }

  async apply(ops: readonly IndexOp[], generation?: string): Promise<void> {
    this.assertOpen();
    const target = generation === undefined ? this.liveAlias : this.checkGeneration(generation);
    if (ops.length === 0) return;
    // Every op is checked before any is sent, so a malformed one fails the batch without applying half of it.
    let body = "";
    const now = this.now();
    for (const op of ops.map((op) => assertIndexOp(op))) body += bulkLines(op, target, now);
    // Live writes wait for the next scheduled refresh (at most a second): many small batches then share one
    // refresh. A generation named by a reindex takes few large batches, which waiting would hold to one per
    // second (about 500 documents/s instead of 10,000): each refreshes at once instead.
    const querystring: Record<string, string> =
      generation === undefined ? { refresh: "wait_for", require_alias: "true" } : { refresh: "true" };
    const { body: answer } = await this.send(
      { method: "POST", path: "/_bulk", querystring, bulkBody: body },
      { timeoutMs: this.bulkTimeoutMs },
    );
    for (const item of parseBulk(answer)) {
      if (item.error === undefined) continue;
      // Not newer than the version the engine holds: already applied, or superseded. Not an error.
      if (item.status === 409 && item.error.type === "version_conflict_engine_exception") continue;
      if (item.error.type === "index_not_found_exception") {
        if (generation !== undefined) throw new UnknownGenerationError(generation);
        throw new SearchUnavailableError(`no live search generation (alias ${this.liveAlias} is missing)`);
      }
      const message = `bulk ${item.action} of ${item.id ?? "?"}: ${item.error.type}: ${item.error.reason}`;
      if (item.status === 429 || item.status >= 500) throw new SearchUnavailableError(message);
      throw new SearchRequestRejectedError(message, item.status, item.error.type);
    }
    if (now - this.lastPurge >= TOMBSTONE_PURGE_EVERY_MS) {
      this.lastPurge = now;
      await this.purgeTombstones(target, now - TOMBSTONE_KEEP_MS);
    }
  }

  async searchUsers(query: UserQuery): Promise<SearchHits> {
    this.assertOpen();
    const page = pageOf(query);
    const words = wordsOf(query.text);
    if (words.length === 0) return { ids: [] };
    const hits = await this.search(userSearch(query, words, page.request));
    return page.answer(hits.map((hit) => idWithin(hit.id, "user")));
  }

  async searchTags(query: TagQuery): Promise<TagHits> {
    this.assertOpen();
    const page = pageOf(query);
    const words = wordsOf(query.text);
    if (words.length === 0) return { items: [] };
    const hits = await this.search(tagSearch(query, words, page.request));
    const { ids, nextOffset } = page.answer(hits.map((hit) => hit.id));
    const byId = new Map(hits.map((hit) => [hit.id, hit.source]));
    const items = ids.map((id) => {
      const source = byId.get(id);
      const tag = source?.tag;
      const postCount = source?.postCount;
      if (typeof tag !== "string" || typeof postCount !== "number") {
        throw new UnexpectedSearchResponseError(`tag hit ${id} has no tag or postCount`);
      }
      return { tag, postCount };
    });
    return nextOffset === undefined ? { items } : { items, nextOffset };
  }

  async searchPosts(query: PostQuery): Promise<SearchHits> {
    this.assertOpen();
    const page = pageOf(query);
    const words = wordsOf(query.text);
    if (words.length === 0) return { ids: [] };
    const hits = await this.search(postSearch(query, words, page.request));
    return page.answer(hits.map((hit) => idWithin(hit.id, "post")));
  }

  async count(type: SearchType, generation?: string): Promise<number> {
    this.assertOpen();
    const target = generation === undefined ? this.liveAlias : this.checkGeneration(generation);
    const { status, body } = await this.send(
      { method: "POST", path: `/${target}/_count`, body: { query: { term: { type } } } },
      { ignore: [404] },
    );
    if (status === 404) throw this.missing(generation, body);
    return parseCount(body);
  }

  // ---- generations ----

  private async liveGeneration(): Promise<string> {
    this.assertOpen();
    const live = await this.liveIndices();
    const first = live[0];
    if (first === undefined) {
      throw new SearchUnavailableError(`no live search generation (alias ${this.liveAlias} is missing)`);
    }
    return first;
  }

  private async createGeneration(): Promise<string> {
    this.assertOpen();
    const stamp = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15).toLowerCase(); // 20261205t231500
    const name = `${this.prefix}-${stamp}-${randomBytes(3).toString("hex")}`;
    await this.send({ method: "PUT", path: `/${name}`, body: generationBody({ replicas: this.replicas }) });
    return name;
  }

  private async promote(generation: string): Promise<void> {
    this.assertOpen();
    this.checkGeneration(generation);
    // Optimistic: when another promote moves the alias between our read and our swap, the remove fails (the
    // whole request with it, atomically) and we read again.
    for (let attempt = 0; ; attempt++) {
      const indices = await this.aliasesOf(`${this.prefix}-*`);
      if (!indices.has(generation)) throw new UnknownGenerationError(generation);
      const old = [...indices]
        .filter(([, aliases]) => aliases.includes(this.liveAlias))
        .map(([index]) => index);
      if (old.length === 1 && old[0] === generation) return;
      const actions: Record<string, unknown>[] = old
        .filter((index) => index !== generation)
        .map((index) => ({ remove: { index, alias: this.liveAlias } }));
      actions.push({ add: { index: generation, alias: this.liveAlias } });
      const { status, body } = await this.send(
        { method: "POST", path: "/_aliases", body: { actions } },
        { ignore: [404] },
      );
      if (status === 404) {
        if (attempt < 3) continue;
        throw this.missing(generation, body);
      }
      const replaced = old.filter((index) => index !== generation);
      if (replaced.length > 0) {
        // A query that resolved the alias just before the swap may still be reading the old index; none runs
        // longer than the request timeout (the client gives up), so the index is deleted after that.
        await new Promise((resolve) => setTimeout(resolve, this.requestTimeoutMs));
        for (const index of replaced) await this.deleteIndex(index);
      }
      return;
    }
  }

  private async drop(generation: string): Promise<void> {
    this.assertOpen();
    this.checkGeneration(generation);
    const live = await this.liveIndices();
    if (live.includes(generation)) {
      throw new LiveGenerationDropError(generation);
    }
    if (!(await this.deleteIndex(generation))) throw new UnknownGenerationError(generation);
  }

  private async listGenerations(): Promise<string[]> {
    this.assertOpen();
    const indices = await this.aliasesOf(`${this.prefix}-*`);
    return [...indices.keys()].filter((index) => this.generationPattern.test(index)).sort();
  }

  /** Points the live alias at one generation, creating the first one when there is none. */
  private async ensureLive(): Promise<void> {
    let live = await this.liveIndices();
    if (live.length === 0) {
      const generation = await this.createGeneration();
      await this.send({
        method: "POST",
        path: "/_aliases",
        body: { actions: [{ add: { index: generation, alias: this.liveAlias } }] },
      });
      live = await this.liveIndices();
    }
    // Two processes opening an empty cluster at once both create a generation and point the alias at it: the
    // oldest name wins, the others are dropped (they are empty: writes through an alias on two indices fail).
    const [keep, ...extra] = live;
    if (keep === undefined || extra.length === 0) return;
    await this.send({
      method: "POST",
      path: "/_aliases",
      body: { actions: extra.map((index) => ({ remove: { index, alias: this.liveAlias } })) },
    });
    for (const index of extra) await this.deleteIndex(index);
  }

  /** The generations behind the live alias, oldest first (one, unless two opens raced). */
  private async liveIndices(): Promise<string[]> {
    const { status, body } = await this.send(
      { method: "GET", path: `/_alias/${this.liveAlias}` },
      { ignore: [404] },
    );
    if (status === 404) return [];
    return [...parseAliases(body).keys()].sort();
  }

  private async aliasesOf(pattern: string): Promise<Map<string, string[]>> {
    const { body } = await this.send({
      method: "GET",
      path: `/${pattern}/_alias`,
      querystring: { expand_wildcards: "open,closed" },
    });
    return parseAliases(body);
  }

  /**
   * Starts deleting the tombstones older than `before` (a task on the engine: the request returns at once). Best
   * effort: a failure only leaves tombstones for the next purge.
   */
  private async purgeTombstones(target: string, before: number): Promise<void> {
    const query = {
      bool: { filter: [{ term: { type: TOMBSTONE_TYPE } }, { range: { deletedAt: { lt: before } } }] },
    };
    await this.send({
      method: "POST",
      path: `/${target}/_delete_by_query`,
      querystring: { conflicts: "proceed", wait_for_completion: "false", refresh: "false" },
      body: { query },
    }).catch(() => undefined);
  }

  /** False when it did not exist. */
  private async deleteIndex(index: string): Promise<boolean> {
    const { status } = await this.send({ method: "DELETE", path: `/${index}` }, { ignore: [404] });
    return status !== 404;
  }

  // ---- internals ----

  private async search(body: Record<string, unknown>): Promise<ReturnType<typeof parseSearchHits>> {
    const { status, body: answer } = await this.send(
      { method: "POST", path: `/${this.liveAlias}/_search`, body },
      { ignore: [404] },
    );
    if (status === 404) throw this.missing(undefined, answer);
    return parseSearchHits(answer);
  }

  /** A generation name is checked before it reaches a URL: anything not shaped like ours does not exist. */
  private checkGeneration(generation: string): string {
    if (!this.generationPattern.test(generation)) throw new UnknownGenerationError(generation);
    return generation;
  }

  private missing(generation: string | undefined, body: unknown): Error {
    const cause = errorCauseOf(body);
    if (generation !== undefined) return new UnknownGenerationError(generation);
    return new SearchUnavailableError(
      `no live search generation (alias ${this.liveAlias}): ${cause?.reason ?? "not found"}`,
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new SearchIndexClosedError();
  }

  /** One request; every failure becomes a port error. */
  private async send(
    params: TransportRequestParams,
    options: { timeoutMs?: number; ignore?: number[] } = {},
  ): Promise<{ status: number; body: unknown }> {
    this.assertOpen();
    try {
      const response = await this.client.transport.request(params, {
        requestTimeout: options.timeoutMs ?? this.requestTimeoutMs,
        maxRetries: 0,
        ...(options.ignore !== undefined && { ignore: options.ignore }),
      });
      const body: unknown = response.body;
      return { status: response.statusCode ?? 0, body };
    } catch (error: unknown) {
      throw this.translate(error, params);
    }
  }

  private translate(error: unknown, params: TransportRequestParams): Error {
    if (this.closed) return new SearchIndexClosedError();
    const what = `${params.method} ${params.path}`;
    if (error instanceof errors.ResponseError) {
      const status = error.statusCode;
      const cause = errorCauseOf(error.body as unknown);
      const message = `${what} answered ${status}: ${cause ? `${cause.type}: ${cause.reason}` : "no error body"}`;
      if (status === 408 || status === 429 || status >= 500) {
        return new SearchUnavailableError(message, { cause: error });
      }
      return new SearchRequestRejectedError(message, status, cause?.type ?? "error");
    }
    if (
      error instanceof errors.TimeoutError ||
      error instanceof errors.ConnectionError ||
      error instanceof errors.NoLivingConnectionsError ||
      error instanceof errors.RequestAbortedError ||
      error instanceof errors.DeserializationError
    ) {
      return new SearchUnavailableError(`${what}: ${error.message}`, { cause: error });
    }
    if (error instanceof Error) return error;
    return new Error(String(error));
  }
}

/**
 * The NDJSON lines of one op. Versions go in as written, since they may exceed 2^53 (which a JS number cannot
 * hold), and are therefore checked again here: they are the one value not escaped by JSON.stringify.
 */
function bulkLines(op: IndexOp, index: string, now: number): string {
  const version = checkVersion(op.version);
  const id = op.op === "delete" ? op.id : op.type === "tag" ? op.doc.tag : op.doc.id;
  const meta = `{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(`${op.type}:${id}`)},"version":${version},"version_type":"external"}`;
  const source = op.op === "delete" ? { type: TOMBSTONE_TYPE, docId: id, deletedAt: now } : sourceOf(op);
  return `{"index":${meta}}\n${JSON.stringify(source)}\n`;
}

/** The stored document: the port's fields only (the mapping is strict), plus the type and the id within it. */
function sourceOf(op: Extract<IndexOp, { op: "put" }>): Record<string, unknown> {
  switch (op.type) {
    case "user": {
      const { id, username, displayName, isPrivate, followerCount } = op.doc;
      return { type: "user", docId: id, username, displayName, isPrivate, followerCount };
    }
    case "post": {
      const { id, authorId, caption, hashtags, authorPrivate, createdAt } = op.doc;
      return { type: "post", docId: id, authorId, caption, hashtags, authorPrivate, createdAt };
    }
    case "tag": {
      const { tag, words, postCount } = op.doc;
      return { type: "tag", docId: tag, tag, words, postCount };
    }
  }
}

function checkVersion(version: string): string {
  if (!VERSION_PATTERN.test(version) || BigInt(version) > MAX_VERSION) {
    throw new RangeError(
      `an index op version must be a positive integer below 2^63, not ${JSON.stringify(version)}`,
    );
  }
  return version;
}

/** `user:123` → `123`. */
function idWithin(documentId: string, type: SearchType): string {
  const prefix = `${type}:`;
  if (!documentId.startsWith(prefix))
    throw new UnexpectedSearchResponseError(`hit ${documentId} is not a ${type}`);
  return documentId.slice(prefix.length);
}

/** Checks the paging and asks for one hit more than the page, to know whether another page follows. */
function pageOf(paging: SearchPaging): {
  request: PageRequest;
  answer: (ids: string[]) => { ids: string[]; nextOffset?: number };
} {
  const { limit, offset } = paging;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_LIMIT}, not ${limit}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + limit > MAX_SEARCH_WINDOW) {
    throw new RangeError(`offset must be an integer from 0 to ${MAX_SEARCH_WINDOW} - limit, not ${offset}`);
  }
  const more = offset + limit < MAX_SEARCH_WINDOW;
  return {
    request: { from: offset, size: more ? limit + 1 : limit },
    answer: (ids) =>
      more && ids.length > limit ? { ids: ids.slice(0, limit), nextOffset: offset + limit } : { ids },
  };
}

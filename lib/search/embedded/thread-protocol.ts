import {
  LiveGenerationDropError,
  SearchIndexClosedError,
  SearchUnavailableError,
  UnknownGenerationError,
} from "../errors";
import type {
  IndexOp,
  PostQuery,
  SearchHits,
  SearchType,
  TagHits,
  TagQuery,
  UserQuery,
} from "../search-index";

/**
 * What the main thread may ask of the index thread (index-thread.ts): the SearchIndex port, method by method,
 * with the generations' methods flattened. One map, so that both sides are typed from it.
 */
export interface IndexThreadMethods {
  open(): string;
  close(): void;
  isReady(): boolean;
  apply(ops: readonly IndexOp[], generation?: string): void;
  searchUsers(query: UserQuery): SearchHits;
  searchTags(query: TagQuery): TagHits;
  searchPosts(query: PostQuery): SearchHits;
  count(type: SearchType, generation?: string): number;
  live(): string;
  create(): string;
  promote(generation: string): void;
  drop(generation: string): void;
  list(): string[];
}

export type IndexThreadMethod = keyof IndexThreadMethods;

export type IndexThreadCall = {
  [M in IndexThreadMethod]: { id: number; method: M; args: Parameters<IndexThreadMethods[M]> };
}[IndexThreadMethod];

/** An error as it crosses the thread: its class by name, and the generation the generation errors carry. */
export interface ThreadError {
  name: string;
  message: string;
  generation?: string;
}

export type IndexThreadReply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ThreadError };

/** The options the index thread is started with (workerData): EmbeddedSearchIndexOptions without a clock. */
export interface IndexThreadOptions {
  dir: string | undefined;
  snapshotEveryOps?: number;
  snapshotPartSize?: number;
  tombstoneMs?: number;
}

export function threadErrorOf(error: unknown): ThreadError {
  if (error instanceof UnknownGenerationError || error instanceof LiveGenerationDropError) {
    return { name: error.name, message: error.message, generation: error.generation };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

/**
 * The error a caller of the port gets back: the port's own classes rebuilt, since a structured clone keeps no
 * class, and a bad op's RangeError as itself; anything else the thread met is the engine failing.
 */
export function errorOfThread(error: ThreadError): Error {
  switch (error.name) {
    case "SearchIndexClosedError":
      return new SearchIndexClosedError();
    case "UnknownGenerationError":
      return new UnknownGenerationError(error.generation ?? "");
    case "LiveGenerationDropError":
      return new LiveGenerationDropError(error.generation ?? "");
    case "RangeError":
      return new RangeError(error.message);
    default:
      return new SearchUnavailableError(error.message);
  }
}

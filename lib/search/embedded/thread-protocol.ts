import {
  LiveGenerationDropError,
  SearchIndexClosedError,
  SearchUnavailableError,
  UnknownGenerationError,
} from "../errors";
import type { EmbeddedSearchIndexOptions } from "./embedded-search-index";
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

/**
 * An error as it crosses the thread: its class by name, the generation the generation errors carry, and its
 * causes (an ENOSPC under a failed log write), since a structured clone keeps neither class nor cause.
 */
export interface ThreadError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  generation?: string;
  cause?: ThreadError;
}

export type IndexThreadReply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ThreadError };

/** The options the index thread is started with (workerData): a function (the clock) cannot cross the thread. */
export type IndexThreadOptions = Omit<EmbeddedSearchIndexOptions, "now">;

/** Causes deeper than this are cut: a chain that long says nothing more, and a cycle must end. */
const MAX_CAUSES = 5;

export function threadErrorOf(error: unknown, depth = 0): ThreadError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const code = (error as { code?: unknown }).code;
  const generation =
    error instanceof UnknownGenerationError || error instanceof LiveGenerationDropError
      ? error.generation
      : undefined;
  return {
    name: error.name,
    message: error.message,
    ...(error.stack !== undefined && { stack: error.stack }),
    ...(typeof code === "string" && { code }),
    ...(generation !== undefined && { generation }),
    ...(error.cause !== undefined && depth < MAX_CAUSES && { cause: threadErrorOf(error.cause, depth + 1) }),
  };
}

/**
 * The error a caller of the port gets back: the port's own classes and a bad op's RangeError rebuilt, each with
 * its causes; any other error is the one the thread met, under its own name, as it would be in process.
 */
export function errorOfThread(error: ThreadError): Error {
  const cause = error.cause === undefined ? undefined : errorOfThread(error.cause);
  const rebuilt = rebuild(error, cause === undefined ? undefined : { cause });
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  if (error.code !== undefined) Object.assign(rebuilt, { code: error.code });
  return rebuilt;
}

function rebuild(error: ThreadError, options: { cause: Error } | undefined): Error {
  switch (error.name) {
    case "SearchUnavailableError":
      return new SearchUnavailableError(error.message, options);
    case "SearchIndexClosedError":
      return new SearchIndexClosedError();
    case "UnknownGenerationError":
      return new UnknownGenerationError(error.generation ?? "");
    case "LiveGenerationDropError":
      return new LiveGenerationDropError(error.generation ?? "");
    case "RangeError":
      return new RangeError(error.message, options);
    default: {
      const other = new Error(error.message, options);
      other.name = error.name;
      return other;
    }
  }
}

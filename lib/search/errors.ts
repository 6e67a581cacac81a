import { PortError, type PortErrorAnswer } from "../errors/port-error";

export const SEARCH_UNAVAILABLE: PortErrorAnswer = {
  status: 503,
  code: "SEARCH_UNAVAILABLE",
  message: "search is unavailable; try again shortly",
};

/** The engine did not answer (down, timed out, overloaded); the operation may be retried later. */
export class SearchUnavailableError extends PortError {
  override readonly name = "SearchUnavailableError";
  readonly retryable = true;
  override readonly answer = SEARCH_UNAVAILABLE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The index was used after close(). */
export class SearchIndexClosedError extends PortError {
  override readonly name = "SearchIndexClosedError";
  readonly retryable = true;
  override readonly answer = SEARCH_UNAVAILABLE;
  constructor() {
    super("the search index is closed");
  }
}

/** A generation that does not exist (never created, or dropped). */
export class UnknownGenerationError extends PortError {
  override readonly name = "UnknownGenerationError";
  readonly retryable = false;
  constructor(readonly generation: string) {
    super(`no search generation ${JSON.stringify(generation.slice(0, 80))}`);
  }
}

/**
 * Dropping the live generation would leave queries with no index: promote another first. Both adapters throw it.
 */
export class LiveGenerationDropError extends PortError {
  override readonly name = "LiveGenerationDropError";
  readonly retryable = false;
  constructor(readonly generation: string) {
    super(`search generation ${JSON.stringify(generation.slice(0, 80))} is live: promote another first`);
  }
}

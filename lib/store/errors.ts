/** The store was used after close() or before open(). */
export class StoreClosedError extends Error {
  override readonly name = "StoreClosedError";
  constructor() {
    super("the store is not open");
  }
}

/** A page token that this store did not issue for this query. */
export class InvalidPageTokenError extends Error {
  override readonly name = "InvalidPageTokenError";
  constructor(reason = "the page token is not one of ours") {
    super(reason);
  }
}

/** The backend did not answer (down, timed out, overloaded); the operation may be retried later. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A plain write to a table whose rows are only written conditionally: a programming error, never input. */
export class ConditionalTableError extends Error {
  override readonly name = "ConditionalTableError";
  constructor(table: string, operation: string) {
    super(`${table} is written only conditionally: ${operation} would race its lightweight transactions`);
  }
}

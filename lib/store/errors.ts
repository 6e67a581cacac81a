import { PortError, STORE_UNAVAILABLE } from "../errors/port-error";

/** The store was used after close() or before open(). */
export class StoreClosedError extends PortError {
  override readonly name = "StoreClosedError";
  // A node that is stopping: another may take the call.
  readonly retryable = true;
  override readonly answer = STORE_UNAVAILABLE;
  constructor() {
    super("the store is not open");
  }
}

/** A page token that this store did not issue for this query. */
export class InvalidPageTokenError extends PortError {
  override readonly name = "InvalidPageTokenError";
  readonly retryable = false;
  constructor(reason = "the page token is not one of ours") {
    super(reason);
  }
}

/** The backend did not answer (down, timed out, overloaded); the operation may be retried later. */
export class StoreUnavailableError extends PortError {
  override readonly name = "StoreUnavailableError";
  readonly retryable = true;
  override readonly answer = STORE_UNAVAILABLE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A plain write to a table whose rows are only written conditionally: a programming error, never input. */
export class ConditionalTableError extends PortError {
  override readonly name = "ConditionalTableError";
  readonly retryable = false;
  constructor(table: string, operation: string) {
    super(`${table} is written only conditionally: ${operation} would race its lightweight transactions`);
  }
}

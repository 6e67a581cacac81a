/** What a client is told when a port's error reaches the edge unhandled. */
export interface PortErrorAnswer {
  status: number;
  code: string;
  message: string;
}

/**
 * The base of every error a port's adapter raises (the store, the blob store). `retryable` says, as Moleculer's
 * own errors do, whether the same call may succeed later (an outage) or never will (a bad key, a closed store
 * used by mistake); `answer`, when set, is what a client gets if the error is not handled on the way. The broker's
 * error middleware reads these two fields, so a new adapter error needs no change there.
 */
export abstract class PortError extends Error {
  abstract readonly retryable: boolean;
  readonly answer: PortErrorAnswer | undefined = undefined;
}

export const STORE_UNAVAILABLE: PortErrorAnswer = {
  status: 503,
  code: "STORE_UNAVAILABLE",
  message: "the store is unavailable; try again shortly",
};

export const BLOBS_UNAVAILABLE: PortErrorAnswer = {
  status: 503,
  code: "BLOBS_UNAVAILABLE",
  message: "the media store is unavailable; try again shortly",
};

import type { IncomingMessage, ServerResponse } from "node:http";

/** Ends a request body that stopped arriving, so that whoever reads it stops waiting. */
export class BodyIdleError extends Error {
  override readonly name = "BodyIdleError";
  constructor(idleMs: number) {
    super(`the request body stopped arriving for ${idleMs} ms`);
  }
}

/** Whether a request announces a body (a length above zero, or chunks). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? "0") > 0;
}

/**
 * Calls `onIdle` once when a request's body stops arriving for `idleMs` while we wait for it, so a client that
 * stalls mid-body (or never sends the rest) cannot hold a connection, a file handle and a half-written file.
 *
 * It rides on the socket's own inactivity timer, which every read and write resets (Node's HTTP parser resets it
 * even when it reads the socket directly). A pause on our side does not count: when the request's buffer is
 * full, we are the ones not reading (authentication still running, a disk or an S3 part being slow) and the
 * timer starts again; nor does a stalled event loop, whose timers fire before it reads what arrived meanwhile. Once the body is complete, or the answer is done, the socket is left as it was.
 */
export function watchBodyIdle(
  req: IncomingMessage,
  res: ServerResponse,
  idleMs: number,
  onIdle: () => void,
): void {
  if (idleMs <= 0 || !hasBody(req)) return;
  const socket = req.socket;
  const previous = socket.timeout ?? 0;
  let watching = true;

  const stop = () => {
    if (!watching) return;
    watching = false;
    res.off("timeout", onTimeout);
    req.off("end", stop);
    // After the answer the socket is no longer ours: Node sets its keep-alive timeout on it.
    if (res.socket === socket && !res.writableFinished && !socket.destroyed) socket.setTimeout(previous);
  };
  const stillWaiting = () => !req.complete && req.readableLength < req.readableHighWaterMark;
  const onTimeout = () => {
    if (!watching) return;
    if (!stillWaiting()) return req.complete ? stop() : socket.setTimeout(idleMs);
    // After the event loop itself stalled (a long GC, a loaded machine), timers run before the poll that reads
    // what the client sent meanwhile: one more turn of the loop tells a stalled client from a stalled node.
    const received = socket.bytesRead;
    setImmediate(() => {
      if (!watching) return;
      if (socket.bytesRead !== received || !stillWaiting()) {
        if (req.complete) return stop();
        socket.setTimeout(idleMs);
        return;
      }
      stop();
      onIdle();
    });
  };

  // A listener on the answer's `timeout` also keeps Node from destroying the socket itself when it fires.
  res.setTimeout(idleMs, onTimeout);
  req.once("end", stop);
  res.once("close", stop);
}

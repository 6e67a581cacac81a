import type { Duplex } from "node:stream";

/** What Node's HTTP parser refused, as api.md's status and envelope (Node's own answer is a bare status line). */
const REFUSALS: Record<string, { status: number; reason: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: "Request Header Fields Too Large",
    code: "REQUEST_HEADER_FIELDS_TOO_LARGE",
    message: "the request line and headers are too large",
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    reason: "Payload Too Large",
    code: "PAYLOAD_TOO_LARGE",
    message: "the chunk extensions are too large",
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: "Request Timeout",
    code: "REQUEST_TIMEOUT",
    message: "the request did not arrive in time",
  },
};

const MALFORMED = {
  status: 400,
  reason: "Bad Request",
  code: "MALFORMED_REQUEST",
  message: "the request is not valid HTTP/1.1",
};

/**
 * A `clientError` listener for an HTTP server: answers a request Node's parser refuses (a malformed request line,
 * a header with bytes HTTP does not allow, conflicting lengths, headers over the size limit, headers too slow)
 * with the error envelope and `headers` (the security headers every answer has), then closes the connection, as
 * Node's default does with a bare status line. Nothing is written when an answer is already under way on the
 * connection or the socket cannot be written.
 */
export function answerClientError(
  err: Error & { code?: string },
  socket: Duplex,
  headers: Record<string, string> = {},
): void {
  // Node's own default looks at the response in flight on the socket the same way: never corrupt one.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (err.code !== "ECONNRESET" && socket.writable && inFlight?.headersSent !== true) {
    socket.write(refusal(REFUSALS[err.code ?? ""] ?? MALFORMED, headers));
  }
  socket.destroy(err);
}

/**
 * A `connect` listener: this server is no proxy. Without one Node closes the connection of a CONNECT request
 * without a word; this answers it like any other unknown route, 404 with the envelope.
 */
export function answerConnect(socket: Duplex, headers: Record<string, string> = {}): void {
  if (socket.writable) {
    socket.end(
      refusal({ status: 404, reason: "Not Found", code: "NOT_FOUND", message: "no such route" }, headers),
    );
  } else socket.destroy();
}

function refusal(
  answer: { status: number; reason: string; code: string; message: string },
  headers: Record<string, string>,
): string {
  const body = JSON.stringify({ error: { code: answer.code, message: answer.message } });
  const head = [
    `HTTP/1.1 ${answer.status} ${answer.reason}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Cache-Control: no-store",
    "Connection: close",
  ];
  return `${head.join("\r\n")}\r\n\r\n${body}`;
}

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Caller } from "../../lib/accounts";
import { BadRequestError, UnauthorizedError } from "../../lib/errors";
import { bearerToken } from "../../lib/http/request-meta";
import { isId } from "../../lib/ids";
import { toHttpError } from "./error-envelope";
import type { EventStreams } from "./event-streams";

const TOKEN = /^[A-Za-z0-9._~+/=-]{1,4096}$/;

/**
 * `GET /api/stream`: authenticates, then hands the response to the event streams. Browsers' EventSource cannot
 * send headers, so the token may come as `?access_token=` and the resume point as `?lastEventId=` as well as
 * the `Last-Event-ID` header a reconnecting EventSource sends itself.
 */
export function streamAlias(
  streams: EventStreams,
  authenticate: (token: string) => Promise<Caller>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    opened(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      const http = toHttpError(err);
      const body = Buffer.from(JSON.stringify(http.envelope));
      res.writeHead(http.status, {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": body.length,
        "Cache-Control": "no-store",
      });
      res.end(body);
    });
  };

  async function opened(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const query = new URL(req.url ?? "/", "http://stream.invalid").searchParams;
    const header = bearerToken(req);
    const fromQuery = query.get("access_token") ?? undefined;
    if (header === null || (fromQuery !== undefined && !TOKEN.test(fromQuery))) {
      throw new UnauthorizedError();
    }
    const token = header ?? fromQuery;
    if (token === undefined) throw new UnauthorizedError();

    const given = headerValue(req.headers["last-event-id"]) ?? query.get("lastEventId") ?? undefined;
    const lastEventId = given === undefined || given === "" ? undefined : given;
    if (lastEventId !== undefined && !isId(lastEventId)) {
      throw new BadRequestError("INVALID_LAST_EVENT_ID", "Last-Event-ID must be an event id of this stream");
    }
    const caller = await authenticate(token);
    await streams.open(res, caller, lastEventId);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

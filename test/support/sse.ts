/** A small server-sent events client for tests: reads `GET /api/stream` and keeps every event and comment. */

export interface ReceivedEvent {
  id: string | undefined;
  event: string;
  data: unknown;
  /** When it arrived (Date.now()). */
  at: number;
}

export interface OpenStream {
  status: number;
  contentType: string | null;
  events: ReceivedEvent[];
  comments: string[];
  /** Resolves once the server ended the stream. */
  ended: Promise<void>;
  isEnded(): boolean;
  next(match: (e: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  close(): void;
}

export async function openStream(
  baseUrl: string,
  options: { token?: string; query?: string; lastEventId?: string } = {},
): Promise<OpenStream> {
  const abort = new AbortController();
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
  const res = await fetch(`${baseUrl}/api/stream${options.query ?? ""}`, { headers, signal: abort.signal });
  const events: ReceivedEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  let done = false;

  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          parse(block);
        }
      }
    } catch {
      // Aborted by close(): the stream is over either way.
    } finally {
      done = true;
      for (const wake of waiters) wake();
    }
  })();

  function parse(block: string): void {
    const fields: Record<string, string> = {};
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) comments.push(line.slice(1).trim());
      else {
        const at = line.indexOf(":");
        if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1).trimStart();
      }
    }
    if (fields.data === undefined) return;
    events.push({
      id: fields.id,
      event: fields.event ?? "message",
      data: JSON.parse(fields.data) as unknown,
      at: Date.now(),
    });
    for (const wake of waiters) wake();
  }

  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    events,
    comments,
    ended,
    isEnded: () => done,
    async next(match, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        if (done) throw new Error("the stream ended before the event came");
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(wake, Math.min(left, 250));
          function wake() {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          }
          waiters.add(wake);
        });
      }
    },
    close: () => abort.abort(),
  };
}

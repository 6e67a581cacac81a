import type { WideRowStore } from "../store/store";
import { streamEventObject, type StreamEvent } from "../contracts/events";
import { streamEvents } from "./tables";

/** Each user's stream events for a week, so a client that reconnects with `Last-Event-ID` misses none. */
export class StreamLog {
  constructor(private readonly store: WideRowStore) {}

  async append(userId: string, event: StreamEvent): Promise<void> {
    await this.store.put(streamEvents, rowOf(userId, event));
  }

  /** Several events of one user in one write (one partition): a replay sees all of them or none. */
  async appendAll(userId: string, events: readonly StreamEvent[]): Promise<void> {
    await this.store.batch(
      streamEvents,
      { user_id: userId },
      events.map((event) => ({ op: "put" as const, row: rowOf(userId, event) })),
    );
  }

  /** The events after `afterId`, oldest first. */
  async after(userId: string, afterId: string, limit: number): Promise<StreamEvent[]> {
    const slice = await this.store.slice(
      streamEvents,
      { user_id: userId },
      { gt: { event_id: afterId }, reverse: true, limit },
    );
    // A row written by an older version, or damaged, is left out rather than sent as something it is not.
    return slice.rows.flatMap((row) => {
      if (row.data === undefined) return [];
      const parsed = streamEventObject.safeParse({
        id: row.event_id,
        event: row.event,
        data: parseJson(row.data),
      });
      return parsed.success ? [parsed.data] : [];
    });
  }
}

function rowOf(userId: string, event: StreamEvent) {
  return { user_id: userId, event_id: event.id, event: event.event, data: JSON.stringify(event.data) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

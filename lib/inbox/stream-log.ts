import type { WideRowStore } from "../store/store";
import type { StreamEvent, StreamEventName } from "../stream/events";
import { streamEvents } from "./tables";

const EVENT_NAMES: readonly StreamEventName[] = ["notification", "message", "feed"];

/** Each user's stream events for a week, so a client that reconnects with `Last-Event-ID` misses none. */
export class StreamLog {
  constructor(private readonly store: WideRowStore) {}

  async append(userId: string, event: StreamEvent): Promise<void> {
    await this.store.put(streamEvents, {
      user_id: userId,
      event_id: event.id,
      event: event.event,
      data: JSON.stringify(event.data),
    });
  }

  /** The events after `afterId`, oldest first. */
  async after(userId: string, afterId: string, limit: number): Promise<StreamEvent[]> {
    const slice = await this.store.slice(
      streamEvents,
      { user_id: userId },
      { gt: { event_id: afterId }, reverse: true, limit },
    );
    return slice.rows.flatMap((row) => {
      const name = EVENT_NAMES.find((n) => n === row.event);
      if (name === undefined || row.data === undefined) return [];
      return [{ id: row.event_id, event: name, data: JSON.parse(row.data) as unknown }];
    });
  }
}

import type { MessageView, NotificationView } from "../contracts/objects";
import type { PushPayload } from "./params";
import { messagePayload, notificationPayload } from "./payloads";
import type { PushSender } from "./push-sender";
import type { PushSubscriptions } from "./subscriptions";
import type { StreamPresence } from "../stream/presence";

/**
 * Web Push for the inbox actor: each notification and message goes to the recipient's subscriptions that asked
 * for its kind, unless the recipient has a stream open (the app shows it already). Queueing never fails the
 * notification or message it announces: a failure here is logged and the push dropped.
 */
export class WebPush {
  private deciding = 0;

  constructor(
    private readonly deps: {
      subscriptions: Pick<PushSubscriptions, "targets">;
      sender: Pick<PushSender, "enqueue">;
      presence: Pick<StreamPresence, "online">;
      warn?: (message: string) => void;
    },
  ) {}

  notification(userId: string, view: NotificationView): Promise<void> {
    const payload = notificationPayload(view);
    return payload === undefined ? Promise.resolve() : this.push(userId, payload);
  }

  message(userId: string, view: MessageView): Promise<void> {
    if (view.sender.id === userId) return Promise.resolve();
    return this.push(userId, messagePayload(view));
  }

  /** Resolves once every push asked for has been decided and queued (tests; a graceful stop). */
  async idle(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.deciding > 0) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  private async push(userId: string, payload: PushPayload): Promise<void> {
    this.deciding++;
    try {
      if (await this.deps.presence.online(userId)) return;
      const targets = await this.deps.subscriptions.targets(userId, payload.kind);
      const text = JSON.stringify(payload);
      for (const target of targets) this.deps.sender.enqueue(userId, target, text);
    } catch (err: unknown) {
      this.deps.warn?.(`push: not sent: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.deciding--;
    }
  }
}

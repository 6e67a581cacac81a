import { createHash } from "node:crypto";
import { BadRequestError } from "../errors";
import type { Row } from "../store/schema";
import type { WideRowStore } from "../store/store";
import {
  MAX_PUSH_SUBSCRIPTIONS,
  PUSH_KINDS,
  type PushKind,
  type PushSubscriptionView,
  type SubscribeInput,
} from "./params";
import { pushSubscriptions } from "./tables";

/** A subscription as the sender needs it. */
export interface PushTarget {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  kinds: readonly PushKind[];
}

/** The id of an endpoint's row: the same endpoint subscribed again replaces its row. */
export function subscriptionIdOf(endpoint: string): string {
  return createHash("sha256").update(endpoint).digest("base64url").slice(0, 22);
}

/** Each user's Web Push subscriptions, one partition per user, bounded. */
export class PushSubscriptions {
  constructor(
    private readonly store: WideRowStore,
    private readonly now: () => number = Date.now,
    /** Plain http:// endpoints, for tests with a local push service; browsers' push services are all https. */
    private readonly allowInsecure = false,
  ) {}

  /** Every subscription of the account (its erasure). */
  async eraseAll(userId: string): Promise<void> {
    await this.store.deletePartition(pushSubscriptions, { user_id: userId });
  }

  async subscribe(userId: string, input: SubscribeInput): Promise<PushSubscriptionView> {
    if (!this.allowInsecure && new URL(input.endpoint).protocol !== "https:") {
      throw new BadRequestError("VALIDATION_FAILED", "endpoint must be an https URL", {
        fields: { endpoint: "must be an https URL" },
      });
    }
    const id = subscriptionIdOf(input.endpoint);
    const existing = await this.rows(userId);
    // Past the bound the oldest go: most likely browsers the user no longer uses.
    const others = existing.filter((row) => row.subscription_id !== id);
    const excess = others.length - (MAX_PUSH_SUBSCRIPTIONS - 1);
    if (excess > 0) {
      const oldest = [...others].sort((a, b) => time(a) - time(b)).slice(0, excess);
      for (const row of oldest) await this.remove(userId, row.subscription_id);
    }
    const createdAt = new Date(this.now());
    await this.store.put(pushSubscriptions, {
      user_id: userId,
      subscription_id: id,
      endpoint: input.endpoint,
      p256dh: input.keys.p256dh,
      auth: input.keys.auth,
      kinds: JSON.stringify(input.kinds),
      created_at: createdAt,
    });
    return { id, endpoint: input.endpoint, kinds: [...input.kinds], createdAt: createdAt.toISOString() };
  }

  /** Answers whether there was such a subscription. */
  async unsubscribe(userId: string, endpoint: string): Promise<boolean> {
    const id = subscriptionIdOf(endpoint);
    const found = await this.store.get(pushSubscriptions, { user_id: userId, subscription_id: id });
    if (found === undefined) return false;
    await this.remove(userId, id);
    return true;
  }

  async remove(userId: string, subscriptionId: string): Promise<void> {
    await this.store.delete(pushSubscriptions, { user_id: userId, subscription_id: subscriptionId });
  }

  async list(userId: string): Promise<PushSubscriptionView[]> {
    return (await this.rows(userId)).map((row) => ({
      id: row.subscription_id,
      endpoint: row.endpoint ?? "",
      kinds: kindsOf(row.kinds),
      createdAt: new Date(time(row)).toISOString(),
    }));
  }

  /** The user's subscriptions that asked for `kind`. */
  async targets(userId: string, kind: PushKind): Promise<PushTarget[]> {
    return (await this.rows(userId)).flatMap((row) => {
      const kinds = kindsOf(row.kinds);
      if (!kinds.includes(kind) || row.endpoint === undefined) return [];
      return [
        {
          id: row.subscription_id,
          endpoint: row.endpoint,
          keys: { p256dh: row.p256dh ?? "", auth: row.auth ?? "" },
          kinds,
        },
      ];
    });
  }

  private async rows(userId: string): Promise<Row<typeof pushSubscriptions>[]> {
    return (await this.store.slice(pushSubscriptions, { user_id: userId }, { limit: 100 })).rows;
  }
}

function time(row: Row<typeof pushSubscriptions>): number {
  return row.created_at?.getTime() ?? 0;
}

function kindsOf(text: string | undefined): PushKind[] {
  try {
    const parsed: unknown = JSON.parse(text ?? "[]");
    return Array.isArray(parsed) ? PUSH_KINDS.filter((kind) => parsed.includes(kind)) : [];
  } catch {
    return [];
  }
}

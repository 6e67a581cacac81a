import { z } from "zod";

/** The kinds of push a subscription may ask for, as Mastodon's alerts; notifications map onto them. */
export const PUSH_KINDS = ["likes", "comments", "follows", "mentions", "messages"] as const;
export type PushKind = (typeof PUSH_KINDS)[number];

/** Subscriptions one account keeps (browsers and devices); a new one past it replaces the oldest. */
export const MAX_PUSH_SUBSCRIPTIONS = 10;

const base64url = (bytes: number, what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, `must be ${what} in base64url`)
    .refine(
      (s) => Buffer.from(s, "base64url").length === bytes,
      `must be ${what} (${bytes} bytes) in base64url`,
    );

export const endpoint = z
  .string()
  .max(2048, "must be at most 2048 characters")
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), "must be an http(s) URL");

export const subscribeParams = z.strictObject({
  endpoint,
  keys: z.strictObject({
    p256dh: base64url(65, "the browser's P-256 public key").refine(
      (s) => Buffer.from(s, "base64url")[0] === 4,
      "must be an uncompressed P-256 point",
    ),
    auth: base64url(16, "the authentication secret"),
  }),
  kinds: z
    .array(z.enum(PUSH_KINDS))
    .min(1, "choose at least one kind, or unsubscribe")
    .max(PUSH_KINDS.length)
    .refine((kinds) => new Set(kinds).size === kinds.length, "must not repeat a kind")
    .default([...PUSH_KINDS]),
});
export type SubscribeInput = z.output<typeof subscribeParams>;

export const unsubscribeParams = z.strictObject({ endpoint });

const time = z.string().describe("ISO-8601 UTC");

export const pushSubscriptionObject = z
  .object({
    id: z.string(),
    endpoint: z.string(),
    kinds: z.array(z.enum(PUSH_KINDS)),
    createdAt: time,
  })
  .meta({ id: "PushSubscription" });
export type PushSubscriptionView = z.infer<typeof pushSubscriptionObject>;

export const pushKeyObject = z
  .object({
    publicKey: z.string().describe("the VAPID application server key (base64url), for PushManager.subscribe"),
  })
  .meta({ id: "PushKey" });

/** What a push carries to the service worker, which shows it as a system notification. */
export interface PushPayload {
  kind: PushKind;
  title: string;
  body: string;
  /** The app path a click opens. */
  url: string;
  /** Pushes with the same tag replace each other on the device (one per conversation, say). */
  tag: string;
}

export { PUSH_KINDS, type PushKind, type PushPayload, type SubscribeInput } from "./params";
export { PushSender, type PushOutcome, type PushTransport } from "./push-sender";
export { PushSubscriptions, type PushTarget } from "./subscriptions";
export { pushTables } from "./tables";
export { vapidKeysFrom, type VapidKeys } from "./vapid";
export { WebPush } from "./web-push";
export { webPushTransport } from "./transport";

export { Inbox, type InboxDeps, type InboxOptions } from "./inbox";
export type { DeliverMessage } from "./direct-messages";
export type { Page, PageRequest } from "./deps";
export type { ConversationView, MessageView, NotificationView } from "./views";
export type { MessageRecord } from "./params";
export { inboxTables } from "./tables";

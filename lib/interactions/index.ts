export { Interactions } from "./interactions";
export type { InteractionsDeps } from "./interactions";
export type { EngagementSignals } from "./deps";
export { Engagement } from "./engagement";
export type { CommentView } from "./comments";
export type { LikeState } from "./likes";
export type { Page, PageRequest } from "../validation/page";
export * from "./tables";

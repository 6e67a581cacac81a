export type { StoryGroup, StoryView } from "../contracts/objects";
export type { Page } from "../validation/page";

export { Stories, type StoriesDeps } from "./stories";
export type { Page, StoryGroup, StoryView } from "./story-view";
export {
  STORY_LIFETIME_SECONDS,
  stories,
  storyAuthors,
  storyTables,
  storyViewers,
  storyViewersByTime,
  storyViews,
} from "./tables";
export { createStoryParams, storyIdParams, storyViewersParams, userStoriesParams } from "./params";

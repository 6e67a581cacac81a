import type { UserView } from "../accounts/user-view";
import type { MediaView } from "../media-library/media-view";

/** The `story` object of api.md. */
export interface StoryView {
  id: string;
  author: UserView;
  media: MediaView;
  createdAt: string;
  expiresAt: string;
  seenByMe: boolean;
}

/** One user's live stories in the stories feed. */
export interface StoryGroup {
  user: UserView;
  /** Oldest first. */
  stories: StoryView[];
  allSeen: boolean;
}

export type { Page } from "../validation/page";

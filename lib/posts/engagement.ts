/** What a viewer sees of the likes, comments and saves of one post. */
export interface PostEngagement {
  likeCount: number;
  commentCount: number;
  likedByMe: boolean;
  savedByMe: boolean;
}

/**
 * Where posts get their engagement from (lib/interactions implements it). Posts ask once per page, so the
 * source can read everything a page needs in one parallel round.
 */
export interface EngagementSource {
  /** By post id; a post missing from the answer has no engagement yet. */
  of(viewerId: string, postIds: readonly string[]): Promise<Map<string, PostEngagement>>;
}

export const NO_ENGAGEMENT: Readonly<PostEngagement> = Object.freeze({
  likeCount: 0,
  commentCount: 0,
  likedByMe: false,
  savedByMe: false,
});

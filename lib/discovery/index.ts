export { TagPages } from "./tag-pages";
export { TagFeed } from "./tag-feed";
export { TagUses } from "./tag-uses";
export { TrendingTags, type TrendingSettings } from "./trending";
export { EngagementLog } from "./engagement-log";
export { Explore } from "./explore";
export { Suggestions } from "./suggestions";
export { Snapshots } from "./snapshots";
export { EVERYONE_COUNTS } from "./ports";
export type {
  AccountPrivacy,
  AuthorStanding,
  BlockLists,
  FollowLists,
  UserViews,
  VisiblePosts,
} from "./ports";
export { discoveryTables } from "./tables";
export { createDiscovery, type Discovery, type DiscoveryDeps } from "./discovery";

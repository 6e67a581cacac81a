import type { WideRowStore } from "../store/store";
import type { EngagementLog } from "./engagement-log";
import { Explore } from "./explore";
import {
  EVERYONE_COUNTS,
  type AccountPrivacy,
  type AuthorStanding,
  type BlockLists,
  type MuteLists,
  type FollowLists,
  type UserViews,
  type VisiblePosts,
} from "./ports";
import { Snapshots } from "./snapshots";
import { Suggestions } from "./suggestions";
import { TagFeed } from "./tag-feed";
import type { TagPages } from "./tag-pages";
import type { TagUses } from "./tag-uses";
import { TrendingTags, type TrendingSettings } from "./trending";

/** What the discovery service serves from: tag pages, trending tags, explore and suggested accounts. */
export interface Discovery {
  readonly tagPages: TagPages;
  readonly tagFeed: TagFeed;
  readonly trending: TrendingTags;
  readonly explore: Explore;
  readonly suggestions: Suggestions;
  /** Seconds between two rounds of trending and explore (each computed by one node per round). */
  readonly roundSeconds: number;
  /** This node, as the holder of a round's lease. */
  readonly holder: string;
}

export interface DiscoveryDeps {
  store: WideRowStore;
  posts: VisiblePosts;
  graph: BlockLists & FollowLists & { mutes: MuteLists };
  users: UserViews;
  privacy: AccountPrivacy;
  /** Suspended, held and new authors (lib/accounts/discovery-standing.ts); everyone counts when absent. */
  standing?: AuthorStanding;
  /** The writers, built wherever posts, likes and comments are written (the post listings, the signals). */
  tagPages: TagPages;
  tagUses: TagUses;
  engagementLog: EngagementLog;
  settings: {
    roundSeconds: number;
    trending: TrendingSettings;
    explore: { halfLifeMs: number };
  };
  holder: string;
  now?: () => number;
}

export function createDiscovery(deps: DiscoveryDeps): Discovery {
  const { store, graph, settings } = deps;
  const now = deps.now ?? Date.now;
  const standing = deps.standing ?? EVERYONE_COUNTS;
  const snapshots = new Snapshots(store, now);
  return {
    tagPages: deps.tagPages,
    tagFeed: new TagFeed({ store, posts: deps.posts }),
    trending: new TrendingTags({
      uses: deps.tagUses,
      counts: deps.tagPages,
      snapshots,
      blocks: graph,
      standing,
      settings: settings.trending,
      now,
    }),
    explore: new Explore({
      store,
      log: deps.engagementLog,
      snapshots,
      posts: deps.posts,
      follows: graph,
      blocks: graph,
      mutes: graph.mutes,
      privacy: deps.privacy,
      standing,
      halfLifeMs: settings.explore.halfLifeMs,
      now,
    }),
    suggestions: new Suggestions({ follows: graph, blocks: graph, users: deps.users, now }),
    roundSeconds: settings.roundSeconds,
    holder: deps.holder,
  };
}

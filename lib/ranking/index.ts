export { Affinities, type AffinityKind } from "./affinity";
export { RANKED_CANDIDATES, RankedFeed, type RankedFeedDeps, type RankedPost } from "./ranked-feed";
export { rankingTables } from "./tables";
export {
  combine,
  postTerms,
  RECENCY_HALF_LIFE_HOURS,
  scorePost,
  WEIGHTS,
  type Score,
  type ScoreInput,
} from "./score";

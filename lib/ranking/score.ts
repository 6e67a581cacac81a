import { idTimestamp } from "../ids";

/** A post's recency halves every 12 hours. */
export const RECENCY_HALF_LIFE_HOURS = 12;
/** How much each term weighs in the total; recency is the unit. */
export const WEIGHTS = { recency: 1, engagement: 0.6, affinity: 0.4 } as const;

export interface ScoreInput {
  postId: string;
  likes: number;
  comments: number;
  saves: number;
  shares: number;
  /** The reader's weighted engagement with the post's author (lib/ranking/affinity.ts). */
  affinity: number;
}

/** A score with the terms it adds up, each already weighted: `?explain=1` shows them. */
export interface Score {
  total: number;
  recency: number;
  engagement: number;
  affinity: number;
}

/**
 * The ranked feed's score of one post for one reader: recency decay (half-life 12 h, from the Snowflake id's
 * time), engagement velocity (likes, and comments, saves and shares counting more, per hour of the post's life,
 * on a log scale so a viral post does not bury everything) and affinity (how much the reader engages with the
 * author, on a log scale). Pure: the same inputs give the same score, so a ranking can be explained.
 */
export function scorePost(input: ScoreInput, now: number): Score {
  return combine(postTerms(input, now), input.affinity);
}

/** The terms that belong to the post alone, the same for every reader: a node may reuse them for a few seconds. */
export function postTerms(
  input: Omit<ScoreInput, "affinity">,
  now: number,
): Pick<Score, "recency" | "engagement"> {
  const ageHours = Math.max(0, (now - idTimestamp(input.postId).getTime()) / 3_600_000);
  const recency = WEIGHTS.recency * 0.5 ** (ageHours / RECENCY_HALF_LIFE_HOURS);
  const interactions = input.likes + 2 * input.comments + 3 * input.saves + 3 * input.shares;
  const engagement = WEIGHTS.engagement * Math.log1p(interactions / (ageHours + 2));
  return { recency: round(recency), engagement: round(engagement) };
}

/** The post's terms with the reader's affinity for its author. */
export function combine(terms: Pick<Score, "recency" | "engagement">, affinityWeight: number): Score {
  const affinity = round(WEIGHTS.affinity * Math.log1p(affinityWeight));
  return { total: round(terms.recency + terms.engagement + affinity), ...terms, affinity };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/**
 * The follow graph of the feed bench, generated in memory before anything is written: who follows whom, who is a
 * celebrity, and the readers picked for each measurement. Accounts are plain indexes here; seed-feed.ts gives
 * them ids and writes them.
 *
 * Index layout: 0..users-1 the main population, `users` the mega author, then its audience.
 */

export interface FeedGraphOptions {
  /** Size of the main population (who posts, follows and reads). */
  users: number;
  /** Mean number of accounts a main user follows. */
  meanFollowing: number;
  /** Cap of one user's follows (the Pareto tail would otherwise reach the whole population). */
  maxFollowing: number;
  /** Skew of popularity: the account of rank r is chosen with weight 1 / r^s. */
  zipfExponent: number;
  /** The threshold is set so that at least this many main accounts are celebrities. */
  minCelebrities: number;
  /** Readers per celebrity group, and how many celebrities each group follows. */
  groupSize: number;
  groupCelebrities: readonly number[];
  /** Non-celebrity follows of every group reader, the same for all groups so only celebrities differ. */
  groupOrdinaryFollows: number;
  /** Followers of the mega author: accounts that follow it and nobody else. */
  audience: number;
  /** Seed of the generator: the same seed gives the same graph. */
  seed: number;
}

export interface FeedGraph {
  readonly users: number;
  /** Index of the mega author. */
  readonly mega: number;
  /** Indexes of the mega author's audience. */
  readonly audience: readonly number[];
  /** Every account: main users, the mega author, the audience. */
  readonly total: number;
  /** Whom each account follows. */
  readonly followees: readonly Int32Array[];
  readonly followerCounts: Int32Array;
  /** The CELEBRITY_THRESHOLD the hybrid mode runs with. */
  readonly threshold: number;
  /** Accounts at or above the threshold (the mega author among them when its audience reaches it). */
  readonly celebrities: ReadonlySet<number>;
  /** Readers by the number of celebrities they follow. */
  readonly groups: ReadonlyMap<number, readonly number[]>;
  /** Main users outside the groups, for the general read figures. */
  readonly ordinaryReaders: readonly number[];
}

/** mulberry32: small, fast and seedable, which Math.random is not. */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateFeedGraph(options: FeedGraphOptions): FeedGraph {
  const random = randomSource(options.seed);
  const { users } = options;
  const groupTotal = options.groupSize * options.groupCelebrities.length;
  if (users < 10 * options.minCelebrities || groupTotal > users / 4) {
    throw new Error(`${users} users are too few for ${options.minCelebrities} celebrities and the groups`);
  }
  const byRank = shuffled(users, random);
  // The groups come from the least popular ranks, so none of their readers is a celebrity.
  const groupReaders = byRank.slice(users - groupTotal);
  const inGroup = new Set(groupReaders);
  const followees: Int32Array[] = Array.from({ length: users }, () => new Int32Array(0));
  const popularity = zipfSampler(byRank, options.zipfExponent, random);
  for (let user = 0; user < users; user++) {
    if (inGroup.has(user)) continue;
    followees[user] = distinctPicks(followCount(options, random), user, popularity);
  }

  const counts = followerCounts(followees, users);
  const threshold = celebrityThreshold(counts, options.minCelebrities);
  const mainCelebrities = indexesWhere(users, (i) => (counts[i] ?? 0) >= threshold);
  const groups = assignGroups(options, groupReaders, followees, counts, threshold, mainCelebrities, random);

  const mega = users;
  const audience = Array.from({ length: options.audience }, (_, i) => users + 1 + i);
  const total = users + 1 + options.audience;
  const all = [...followees, new Int32Array(0), ...audience.map(() => Int32Array.of(mega))];
  const finalCounts = followerCounts(all, total);
  const celebrities = new Set(indexesWhere(users + 1, (i) => (finalCounts[i] ?? 0) >= threshold));
  checkCelebrities(celebrities, mainCelebrities, mega, options.minCelebrities);
  return {
    users,
    mega,
    audience,
    total,
    followees: all,
    followerCounts: finalCounts,
    threshold,
    celebrities,
    groups,
    ordinaryReaders: shuffled(users, random).filter((i) => !inGroup.has(i)),
  };
}

/** Out-degree from a Pareto law (shape 2, so its mean is twice its minimum): most follow few, some many. */
function followCount(options: FeedGraphOptions, random: () => number): number {
  const minimum = options.meanFollowing / 2;
  const drawn = Math.floor(minimum / Math.sqrt(1 - random()));
  return Math.min(drawn, options.maxFollowing, options.users - 1);
}

/**
 * Picks accounts by rank with weight 1 / rank^s: the popular get picked again and again, as with preferential
 * attachment, which is what gives a few accounts thousands of followers.
 */
function zipfSampler(byRank: readonly number[], exponent: number, random: () => number): () => number {
  const cumulative = new Float64Array(byRank.length);
  let sum = 0;
  for (let rank = 0; rank < byRank.length; rank++) {
    sum += 1 / Math.pow(rank + 1, exponent);
    cumulative[rank] = sum;
  }
  return () => byRank[lowerBound(cumulative, random() * sum)] ?? 0;
}

/** The first index whose cumulative weight reaches `value`. */
function lowerBound(cumulative: Float64Array, value: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((cumulative[middle] ?? 0) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** `count` distinct accounts other than `self`; bounded, since a skewed sampler repeats itself a lot. */
function distinctPicks(count: number, self: number, pick: () => number): Int32Array {
  const chosen = new Set<number>();
  for (let attempt = 0; attempt < count * 50 && chosen.size < count; attempt++) {
    const account = pick();
    if (account !== self) chosen.add(account);
  }
  return Int32Array.from(chosen);
}

function followerCounts(followees: readonly Int32Array[], total: number): Int32Array {
  const counts = new Int32Array(total);
  for (const list of followees) for (const target of list) counts[target] = (counts[target] ?? 0) + 1;
  return counts;
}

/** The follower count of the n-th most followed account: at least n accounts reach it. */
function celebrityThreshold(counts: Int32Array, n: number): number {
  const sorted = Int32Array.from(counts).sort().reverse();
  return Math.max(2, sorted[n - 1] ?? 2);
}

/**
 * Gives each group reader the same number of ordinary follows plus its group's number of celebrities. Ordinary
 * follows go to quiet accounts (under half the threshold) so that they cannot tip one over it.
 */
function assignGroups(
  options: FeedGraphOptions,
  readers: readonly number[],
  followees: Int32Array[],
  counts: Int32Array,
  threshold: number,
  celebrities: readonly number[],
  random: () => number,
): Map<number, number[]> {
  const quiet = indexesWhere(options.users, (i) => (counts[i] ?? 0) < threshold / 2);
  const groups = new Map<number, number[]>();
  options.groupCelebrities.forEach((celebrityCount, g) => {
    const members = readers.slice(g * options.groupSize, (g + 1) * options.groupSize);
    for (const reader of members) {
      const ordinary = distinctPicks(options.groupOrdinaryFollows, reader, () => pickOne(quiet, random));
      const famous = distinctPicks(celebrityCount, reader, () => pickOne(celebrities, random));
      followees[reader] = Int32Array.from([...ordinary, ...famous]);
    }
    groups.set(celebrityCount, members);
  });
  return groups;
}

function checkCelebrities(
  celebrities: ReadonlySet<number>,
  main: readonly number[],
  mega: number,
  minimum: number,
): void {
  if (main.length < minimum) throw new Error(`only ${main.length} celebrities, ${minimum} wanted`);
  // The group follows must not have made a new celebrity: group readers would then follow more than planned.
  const known = new Set([...main, mega]);
  const extra = [...celebrities].filter((i) => !known.has(i));
  if (extra.length > 0) throw new Error(`the group follows made ${extra.length} new celebrities`);
}

function pickOne(from: readonly number[], random: () => number): number {
  return from[Math.floor(random() * from.length)] ?? 0;
}

function indexesWhere(count: number, test: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (test(i)) out.push(i);
  return out;
}

function shuffled(count: number, random: () => number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
  return order;
}

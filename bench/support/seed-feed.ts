import { AccessTokens } from "../../lib/accounts/access-tokens";
import { accountTables, emails, sessions, userCounts, usernames, users } from "../../lib/accounts/tables";
import { followers, followersList, following, followingList, graphTables } from "../../lib/graph/tables";
import { idTimestamp, type SnowflakeGenerator } from "../../lib/ids";
import { IMAGE_VARIANTS } from "../../lib/media/image";
import { variantKeyOf } from "../../lib/media-library/media-library";
import { media, mediaOwners, mediaTables } from "../../lib/media-library/tables";
import { authorPosts, postAuthors, postTables } from "../../lib/posts/tables";
import type { WideRowStore } from "../../lib/store/store";
import type { AnyTable, PartitionKey, RowWrite } from "../../lib/store/schema";
import { celebrities, homeTimeline, timelineTables } from "../../lib/timeline/tables";
import type { BucketedList } from "../../lib/validation/bucketed-list";
import type { FeedGraph } from "./feed-graph";

/**
 * Writes a generated feed graph into a store (embedded or Cassandra) as the node would have left it, straight through the
 * store port: signing up and following over HTTP (or through Graph.follow) would hash passwords and take a lock
 * and ten writes per edge, minutes for a dataset this size. The rows written are exactly those the lib writes.
 */

/** Every table the node opens; the seeder opens the same ones so that its rows decode alike. */
export const FEED_TABLES: readonly AnyTable[] = [
  ...accountTables,
  ...graphTables,
  ...mediaTables,
  ...postTables,
  ...timelineTables,
];

/** Writes in flight at once: enough to keep LevelDB's write thread busy, few enough to bound memory. */
const CONCURRENCY = 32;
/**
 * Rows per batch (one partition each): Cassandra refuses a batch over 50 KiB (`batch_size_fail_threshold`), and
 * the embedded store writes the batches of a turn together anyway.
 */
const BATCH_ROWS = 200;
/** Unused ready media of the mega author, one per post the bench publishes. */
const SPARE_MEDIA = 10;
const ACCESS_TOKEN_TTL_SECONDS = 24 * 3600;

/** The ids given to a graph's accounts and their posts. */
export interface SeededIds {
  readonly userIds: readonly string[];
  readonly sessionIds: readonly string[];
  /** Per author index (main users and the mega author), oldest first. */
  readonly postIds: readonly (readonly string[])[];
  /** Ready media of the mega author that no post uses yet. */
  readonly spareMedia: readonly string[];
}

/** How many rows a step wrote, to report its rate. */
export interface SeedCount {
  rows: number;
}

export interface SeedOptions {
  postsPerAuthor: number;
  now: number;
}

/**
 * Accounts, sessions, follows, media and posts, and each author's own posts in their own timeline (fan-out
 * delivers those to every author, celebrity or not). No other timeline rows: see `seedTimelines`.
 */
export async function seedBase(
  store: WideRowStore,
  graph: FeedGraph,
  ids: SnowflakeGenerator,
  options: SeedOptions,
): Promise<{ seeded: SeededIds; count: SeedCount }> {
  const count = { rows: 0 };
  const seeded = await allocateIds(graph, ids, options.postsPerAuthor);
  const authorMedia = await Promise.all(authors(graph).map(() => ids.next()));
  const created = new Date(options.now);
  await inParallel(graph.total, (i) => writeAccount(store, graph, seeded, i, created, count));
  await writeFollows(store, graph, seeded, ids, created, count);
  await inParallel(authors(graph).length, async (author) => {
    const owner = at(seeded.userIds, author);
    const extra = author === graph.mega ? seeded.spareMedia : [];
    for (const mediaId of [at(authorMedia, author), ...extra]) {
      await writeReadyMedia(store, owner, mediaId, created, count);
    }
    await writePosts(store, owner, at(seeded.postIds, author), at(authorMedia, author), count);
  });
  await seedTimelines(store, graph, seeded, { ownPosts: true, followees: () => false }, count);
  return { seeded, count };
}

/**
 * Timeline rows as fan-out would have written them: for every reader, the posts of each followee `followees`
 * accepts (and with `ownPosts` the reader's own). A reader's rows go in one partition, so in a few batches.
 */
export async function seedTimelines(
  store: WideRowStore,
  graph: FeedGraph,
  seeded: SeededIds,
  which: { ownPosts: boolean; followees: (author: number) => boolean },
  count: SeedCount,
): Promise<void> {
  const authorCount = authors(graph).length;
  await inParallel(graph.total, async (reader) => {
    const sources = Array.from(at(graph.followees, reader)).filter((a) => which.followees(a));
    if (which.ownPosts && reader < authorCount) sources.push(reader);
    const rows: ListRow<typeof homeTimeline>[] = [];
    const userId = at(seeded.userIds, reader);
    for (const author of sources) {
      const authorId = at(seeded.userIds, author);
      for (const postId of at(seeded.postIds, author))
        rows.push([postId, (p) => ({ ...p, post_id: postId, author_id: authorId })]);
    }
    await batchIntoList(store, homeTimeline, userId, rows, count);
  });
}

/** Makes exactly these accounts the celebrities readers pull from. */
export async function setCelebrities(
  store: WideRowStore,
  userIds: readonly string[],
  now: number,
  count: SeedCount,
): Promise<void> {
  await store.deletePartition(celebrities, { bucket: 0 });
  const since = new Date(now);
  const rows = userIds.map((user_id) => ({ bucket: 0, user_id, since }));
  await batchInto(store, celebrities, { bucket: 0 }, rows, count);
}

/** Access tokens of the given accounts, for their seeded sessions, signed with the node's key. */
export async function mintTokens(
  secret: string,
  seeded: SeededIds,
  accounts: readonly number[],
): Promise<string[]> {
  const tokens = new AccessTokens(secret, ACCESS_TOKEN_TTL_SECONDS);
  return Promise.all(
    accounts.map(async (i) => (await tokens.issue(at(seeded.userIds, i), at(seeded.sessionIds, i))).token),
  );
}

/** The indexes that post: the main users and the mega author. */
export function authors(graph: FeedGraph): number[] {
  return Array.from({ length: graph.users + 1 }, (_, i) => i);
}

/**
 * Ids for everything, in the order things would have happened: accounts first, then posts round by round, so
 * that every timeline interleaves its followees' posts as a real one does.
 */
async function allocateIds(
  graph: FeedGraph,
  ids: SnowflakeGenerator,
  postsPerAuthor: number,
): Promise<SeededIds> {
  const userIds: string[] = [];
  const sessionIds: string[] = [];
  for (let i = 0; i < graph.total; i++) userIds.push(await ids.next());
  for (let i = 0; i < graph.total; i++) sessionIds.push(await ids.next());
  const postIds: string[][] = authors(graph).map(() => []);
  for (let round = 0; round < postsPerAuthor; round++) {
    for (const list of postIds) list.push(await ids.next());
  }
  const spareMedia: string[] = [];
  for (let i = 0; i < SPARE_MEDIA; i++) spareMedia.push(await ids.next());
  return { userIds, sessionIds, postIds, spareMedia };
}

/** The account, its unique claims, a session, and its counters. */
async function writeAccount(
  store: WideRowStore,
  graph: FeedGraph,
  seeded: SeededIds,
  i: number,
  created: Date,
  count: SeedCount,
): Promise<void> {
  const user_id = at(seeded.userIds, i);
  const username = usernameOf(graph, i);
  const email = `${username}@bench.example.com`;
  await store.put(users, {
    user_id,
    username,
    email,
    password_hash: "x",
    is_private: false,
    created_at: created,
  });
  await store.insertIfAbsent(usernames, { username, user_id });
  await store.insertIfAbsent(emails, { email, user_id });
  await store.put(sessions, {
    user_id,
    session_id: at(seeded.sessionIds, i),
    created_at: created,
    expires_at: new Date(created.getTime() + ACCESS_TOKEN_TTL_SECONDS * 1000),
  });
  await store.increment(
    userCounts,
    { user_id },
    {
      followers: graph.followerCounts[i] ?? 0,
      following: at(graph.followees, i).length,
      posts: seeded.postIds[i]?.length ?? 0,
    },
  );
  count.rows += 5;
}

/**
 * The four rows of every follow, as Graph.follow writes them: the lookup rows `following_by_pair` and
 * `followers_by_pair`, each its own partition, so one write each; the list rows `following_by_time_b` in the
 * follower's partitions and `followers_by_time_b` in the target's, one batch per partition. Both sides of an edge
 * carry the same edge id, which is what ties a lookup row to its list row.
 */
async function writeFollows(
  store: WideRowStore,
  graph: FeedGraph,
  seeded: SeededIds,
  ids: SnowflakeGenerator,
  since: Date,
  count: SeedCount,
): Promise<void> {
  const edges: { follower: number; target: number; edge_id: string }[][] = [];
  const incoming: (typeof edges)[number][] = Array.from({ length: graph.total }, () => []);
  for (let follower = 0; follower < graph.total; follower++) {
    const out: (typeof edges)[number] = [];
    for (const target of at(graph.followees, follower)) {
      const edge = { follower, target, edge_id: await ids.next() };
      out.push(edge);
      at(incoming, target).push(edge);
    }
    edges.push(out);
  }
  await inParallel(graph.total, async (i) => {
    const user_id = at(seeded.userIds, i);
    const out = at(edges, i).map((e) => ({
      user_id,
      followee_id: at(seeded.userIds, e.target),
      edge_id: e.edge_id,
    }));
    const into = at(incoming, i).map((e) => ({
      user_id,
      follower_id: at(seeded.userIds, e.follower),
      edge_id: e.edge_id,
    }));
    // `following` decides follows with lightweight transactions, so it is written only conditionally.
    await Promise.all(out.map((row) => store.insertIfAbsent(following, { ...row, since })));
    count.rows += out.length;
    await batchIntoList(
      store,
      followingList,
      user_id,
      out.map((e): ListRow<typeof followingList> => [
        e.edge_id,
        (p) => ({ ...p, edge_id: e.edge_id, followee_id: e.followee_id }),
      ]),
      count,
    );
    // A celebrity's followers run to many thousands: a chunk at a time keeps the writes in flight bounded.
    for (let start = 0; start < into.length; start += BATCH_ROWS) {
      const chunk = into.slice(start, start + BATCH_ROWS);
      await Promise.all(chunk.map((row) => store.put(followers, { ...row, since })));
    }
    count.rows += into.length;
    await batchIntoList(
      store,
      followersList,
      user_id,
      into.map((e): ListRow<typeof followersList> => [
        e.edge_id,
        (p) => ({ ...p, edge_id: e.edge_id, follower_id: e.follower_id }),
      ]),
      count,
    );
  });
}

/** A finished image, as the transcoder records it: ready, with its variants. */
export async function writeReadyMedia(
  store: WideRowStore,
  owner_id: string,
  media_id: string,
  created: Date,
  count: SeedCount,
): Promise<void> {
  const variants = Object.fromEntries(
    IMAGE_VARIANTS.map((v) => [
      v.name,
      {
        key: variantKeyOf(owner_id, media_id, v.name, "webp"),
        width: v.maxSide,
        height: v.maxSide,
        contentType: "image/webp",
      },
    ]),
  );
  await store.put(media, {
    owner_id,
    media_id,
    kind: "image",
    status: "ready",
    content_type: "image/jpeg",
    size: 123_456,
    width: 1080,
    height: 1080,
    blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    variants: JSON.stringify(variants),
    // As attaching it to a public account's post leaves it: served at its plain URL, its view cacheable.
    audience: "followers",
    is_public: true,
    created_at: created,
    updated_at: created,
  });
  await store.put(mediaOwners, { media_id, owner_id });
  count.rows += 2;
}

/** The author's posts, each showing the author's one seeded image (posts share it: nothing reads the claims). */
async function writePosts(
  store: WideRowStore,
  author_id: string,
  postIds: readonly string[],
  mediaId: string,
  count: SeedCount,
): Promise<void> {
  const rows = postIds.map((post_id, n): ListRow<typeof authorPosts> => [
    post_id,
    (p) => ({
      ...p,
      post_id,
      caption: `post ${n} of ${author_id}`,
      hashtags: "[]",
      mentions: "[]",
      media_ids: JSON.stringify([mediaId]),
      created_at: idTimestamp(post_id),
    }),
  ]);
  await batchIntoList(store, authorPosts, author_id, rows, count);
  for (const post_id of postIds) await store.put(postAuthors, { post_id, author_id });
  count.rows += postIds.length;
}

async function batchInto<T extends AnyTable>(
  store: WideRowStore,
  table: T,
  partition: PartitionKey<T>,
  rows: readonly RowWrite<T>[],
  count: SeedCount,
): Promise<void> {
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const chunk = rows.slice(start, start + BATCH_ROWS).map((row) => ({ op: "put" as const, row }));
    await store.batch(table, partition, chunk);
  }
  count.rows += rows.length;
}

/** A row of a bucketed list: the id it is bucketed by, and the row given its bucket's partition. */
type ListRow<L> =
  L extends BucketedList<infer T> ? [string, (partition: PartitionKey<T>) => RowWrite<T>] : never;

/** Rows of a bucketed list, into the partition of each one's bucket (and that bucket into the list's index). */
async function batchIntoList<T extends AnyTable>(
  store: WideRowStore,
  list: BucketedList<T>,
  owner: string,
  rows: readonly [string, (partition: PartitionKey<T>) => RowWrite<T>][],
  count: SeedCount,
): Promise<void> {
  const byBucket = new Map<number, [string, (partition: PartitionKey<T>) => RowWrite<T>][]>();
  for (const row of rows) {
    const bucket = list.bucketOf(row[0]);
    byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), row]);
  }
  for (const group of byBucket.values()) {
    const partition = await list.writePartition(store, owner, group[0]?.[0] ?? "");
    await batchInto(
      store,
      list.shape.table,
      partition,
      group.map(([, toRow]) => toRow(partition)),
      count,
    );
  }
}

/** Runs `task` for 0..count-1, CONCURRENCY at a time. */
async function inParallel(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
}

export function usernameOf(graph: FeedGraph, i: number): string {
  if (i < graph.users) return `reader_${i}`;
  return i === graph.mega ? "mega_author" : `fan_${i - graph.mega}`;
}

/** An element that the generator guarantees is there (the indexes all come from the same graph). */
function at<T>(list: readonly T[], i: number): T {
  const value = list[i];
  if (value === undefined) throw new Error(`no element ${i}`);
  return value;
}

import { accountTables, emails, userCounts, usernames, users } from "../../lib/accounts/tables";
import { TagPages } from "../../lib/discovery/tag-pages";
import { discoveryTables } from "../../lib/discovery/tables";
import { graphTables } from "../../lib/graph/tables";
import { SnowflakeGenerator, idTimestamp } from "../../lib/ids";
import { mediaTables } from "../../lib/media-library/tables";
import { parseHashtags, spelledHashtags } from "../../lib/posts/caption";
import { authorPosts, postAuthors, postTables, posts } from "../../lib/posts/tables";
import { searchOutboxTables } from "../../lib/search/outbox";
import { searchReindexTables } from "../../lib/search/reindex";
import type { PostDocument, TagDocument, UserDocument } from "../../lib/search/search-index";
import { searchSyncTables, tagSpellings } from "../../lib/search/search-sync";
import { wordsOf } from "../../lib/search/store-sources";
import type { AnyTable, PartitionKey, RowWrite } from "../../lib/store/schema";
import type { WideRowStore } from "../../lib/store/store";
import { randomSource } from "./feed-graph";
import { writeReadyMedia } from "./seed-feed";

/**
 * The dataset of the search bench (bench/search.ts), generated in memory and written straight through the store
 * port: signing up ten thousand accounts over HTTP would hash ten thousand passwords, and a hundred thousand
 * posts through the posts service would fan each out and transcode an image for each, an hour for what the
 * search bench only reads. The rows are those the lib writes for an account and a post (users, usernames,
 * emails, user_counts, media, posts_b through authorPosts, post_authors, tag_spellings), and the tag pages are
 * written by the lib's own TagPages, so the counts search reads are the ones the node would have.
 *
 * Left out: follows (every account has 0 followers, consistent with its counters), feed rows and trending's
 * tag_uses, which search never reads and which would only make the node's discovery rounds compete with the
 * measurement.
 */

/** Every table the node opens for the services that search reads through; rows decode alike on both sides. */
export const SEARCH_BENCH_TABLES: readonly AnyTable[] = [
  ...new Set<AnyTable>([
    ...accountTables,
    ...graphTables,
    ...mediaTables,
    ...postTables,
    ...discoveryTables,
    ...searchOutboxTables,
    ...searchSyncTables,
    ...searchReindexTables,
  ]),
];

export interface SearchDatasetOptions {
  users: number;
  posts: number;
  /** Posts are spread over this many days before `now`, accounts made in the month before the first post. */
  days: number;
  now: number;
  seed: number;
}

export interface SeededUser {
  id: string;
  username: string;
  displayName: string;
  /** The given name as people type it (`José`), for the queries. */
  firstName: string;
  isPrivate: boolean;
  createdAt: number;
  /** The one ready image every post of the account shows (undefined when it has no post). */
  mediaId: string | undefined;
  /** Indexes of its posts in `SearchDataset.posts`, oldest first. */
  posts: number[];
}

export interface SeededPost {
  id: string;
  authorIndex: number;
  caption: string;
  /** As parseHashtags reads them from the caption: lower-cased, each once. */
  hashtags: string[];
  createdAt: number;
}

export interface SeededTag {
  tag: string;
  /** How it is spelled in captions when that has capitals (`SummerVibes`), as tag_spellings keeps it. */
  spelling: string | undefined;
  posts: number;
}

export interface SearchDataset {
  users: SeededUser[];
  posts: SeededPost[];
  /** Tags used by at least one post. */
  tags: SeededTag[];
}

/** The three query lists of the bench, the same for every run with the same seed. */
export interface BenchQueries {
  users: string[];
  tags: string[];
  posts: string[];
}

const DAY_MS = 86_400_000;
/** Writes in flight at once: enough to keep LevelDB's write thread fed, few enough to bound memory. */
const CONCURRENCY = 64;
/** Rows per batch (one partition each), as seed-feed.ts batches them. */
const BATCH_ROWS = 200;
/** Seeded rows never collide with ids of the node (worker 1), nor with the bench's versions (1001). */
const SEED_WORKER = 1000;
const TAG_VOCABULARY = 2_000;
/** Share of private accounts: findable, but their posts are not for a stranger. */
const PRIVATE_SHARE = 0.05;

// ---- the vocabularies ----

const FIRST_NAMES = list(`
  José, María, Zoë, Chloé, Renée, Noémie, Héloïse, Björn, Søren, Jürgen, Łukasz, Małgorzata, Žofie, Ana,
  Mariana, Marianne, Mario, Marco, Marcos, Martín, Matías, Lucía, Sofía, Valentina, Camila, Isabella,
  Gabriela, Gabriel, Daniel, Daniela, David, Diego, Elena, Emma, Emilia, Olivia, Liam, Noah, Oliver,
  Lucas, Léa, Hugo, Louis, Chloe, Zoe, Jose, João, Inês, Gonçalo, Ângela, Aisha, Fatima, Omar, Yusuf,
  Mehmet, Ayşe, Çağla, Şebnem, Priya, Arjun, Ananya, Rohan, Wei, Mei, Hiroshi, Yuki, Haruto, Sakura,
  Minjun, Jiwoo, Thảo, Kwame, Amara, Chidi, Ngozi, Sean, Siobhán, Niamh, Aoife, Connor, Eoin, Ingrid,
  Astrid, Sven, Lars, Freya, Agnieszka, Katarzyna, Piotr, Tomáš, Jiří, Mikhail, Anastasia, Dmitri, Olga,
  Natalia, Ivan, Ximena, Renata, Joaquín, Agustín, Benjamín, Tomás, Nicolás, Sebastián, Andrés, Ramón,
  Íñigo, Begoña, Ainhoa, Mikel, Itziar, Carmen, Pilar, Rocío, Manuel, Francisco, Antonio, Alejandro,
  Pablo, Jo, Ella, Alexander, Charlotte, Amélie, Margaux, Clément, Théo, Maël, Anaïs, Zoé, Océane,
  Jérôme, Frédéric
`);

const LAST_NAMES = list(`
  Ñúñez, Núñez, García, Rodríguez, Martínez, López, González, Pérez, Sánchez, Ramírez, Torres, Flores,
  Rivera, Gómez, Díaz, Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schäfer,
  Köhler, Groß, Dupont, Durand, Lefèvre, Moreau, Girard, Rousseau, Bonnet, François, Mercier, Rossi,
  Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Silva, Santos, Oliveira,
  Souza, Pereira, Costa, Carvalho, Gonçalves, Araújo, Smith, Johnson, Williams, Brown, Jones, Miller,
  Davis, Wilson, Anderson, Taylor, Thomas, Moore, Jackson, O'Brien, O'Connor, Murphy, Kelly, Walsh,
  Nguyễn, Trần, Lê, Phạm, Kim, Lee, Park, Choi, Tanaka, Suzuki, Takahashi, Watanabe, Yamamoto, Sato,
  Wang, Li, Zhang, Liu, Chen, Yang, Huang, Patel, Sharma, Singh, Kumar, Gupta, Khan, Ali, Yılmaz, Kaya,
  Demir, Şahin, Çelik, Öztürk, Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Dvořák, Novák, Svoboda,
  Černý, Horváth, Nagy, Kovács, Szabó, Østergaard, Jørgensen, Hansen, Nielsen, Andersson, Johansson,
  Lindqvist, Åberg, Ivanov, Smirnov, Popov, Okafor, Adeyemi, Mensah, Boateng, Jo, de la Cruz,
  Van der Berg
`);

const CAPTION_WORDS = list(`
  sunset, morning, coffee, beach, friends, family, weekend, city, mountains, hiking, trail, dinner,
  lunch, breakfast, brunch, café, croissant, pizza, pasta, tacos, jalapeño, crème, brûlée, piñata,
  fiesta, música, concert, festival, summer, winter, autumn, spring, rain, snow, sunshine, golden, hour,
  light, shadows, street, art, museum, gallery, painting, sketch, photo, film, camera, lens, portrait,
  landscape, ocean, waves, surfing, skate, bike, ride, road, trip, journey, adventure, travel, flight,
  airport, hotel, island, lake, river, forest, garden, flowers, roses, tulips, cherry, blossom, park,
  picnic, dog, puppy, cat, kitten, horse, birds, sky, clouds, stars, moon, night, lights, skyline,
  bridge, harbor, market, bakery, bread, cheese, wine, beer, cocktails, tea, matcha, smoothie, salad,
  vegan, healthy, workout, gym, yoga, running, marathon, football, soccer, basketball, tennis, game,
  match, goal, team, champions, victory, birthday, party, wedding, celebration, anniversary, graduation,
  school, university, study, books, reading, library, writing, poetry, love, happy, grateful, blessed,
  mood, vibes, memories, throwback, today, tomorrow, yesterday, finally, little, big, best, new, old,
  favorite, beautiful, amazing, perfect, lovely, cozy, quiet, busy, lazy, sunday, monday, friday,
  saturday, home, kitchen, recipe, homemade, cooking, baking, cake, cookies, chocolate, ice, cream,
  fruit, strawberries, mango, avocado, toast, eggs, pancakes, sushi, ramen, noodles, curry, spicy, sweet,
  salty, fresh, local, vintage, fashion, outfit, style, shoes, dress, jacket, hat, sunglasses, makeup,
  hair, selfie, smile, laugh, dance, music, guitar, piano, song, band, vinyl, record, studio, design,
  architecture, building, tower, church, castle, ruins, history, culture, tradition, village,
  countryside, farm, harvest, leaves, pumpkin, halloween, christmas, holidays, snowman, fireplace,
  blanket, candle, Zürich, München, São, Paulo, Kraków, Montréal, Québec, Málaga, Sevilla, Reykjavík,
  Ålesund, Tromsø, Paris, Tokyo, Lisboa, Berlin, Barcelona, Roma, Istanbul, with, the, and, at, in, my,
  our, this, so, much, after, before, again, first, last, time, moment, view, walk, swim, sun, sea, sand,
  colors, blue, green, red, yellow, pink, white, black, orange, señora, niño, façade, naïve, über,
  smörgåsbord, fjord, crêpe, piñón, açaí, pão
`);

const TAG_WORDS = list(`
  summer, vibes, travel, food, coffee, sunset, beach, love, photo, day, life, style, fashion, art, music,
  fitness, gym, yoga, nature, city, street, night, morning, weekend, friends, family, happy, good, best,
  insta, gram, daily, pic, dog, cat, pet, foodie, vegan, healthy, baking, home, garden, flower, wander,
  lust, adventure, mountain, hike, ocean, surf, skate, film, camera, portrait, wedding, party, throwback,
  thursday, monday, mood, goals, selfie, makeup, beauty, hair, book, reading, study, work, design,
  architecture, vintage, retro, brunch, pizza, taco, sushi, ramen, wine, beer, cocktail, moment,
  memories, holiday, christmas, winter, spring, autumn, rain, snow, sky, cloud, star, moon, light,
  golden, hour, blue, green, red, black, white, road, trip, lake, forest, island, paris, tokyo, london,
  berlin, roma, lisboa
`);

const ACCENTED_TAGS = list(`
  café, méxico, españa, sãopaulo, zürich, kraków, montréal, crème, jalapeño, ñandú, über, açaí, München,
  Québec, Reykjavík, Tromsø, CaféConLeche, BrûléeTime, FiestaMexicana, PiñaColada
`);

/** A vocabulary written as text: comma-separated, so that names may hold spaces and apostrophes. */
function list(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

// ---- generation ----

/** The accounts, posts and tags of the bench, with their ids and times; nothing is written yet. */
export function generateSearchDataset(options: SearchDatasetOptions): SearchDataset {
  const random = randomSource(options.seed);
  const firstPostAt = options.now - options.days * DAY_MS;
  const clock = new SteppedClock(SEED_WORKER);

  const taken = new Set<string>();
  const userTimes = sortedTimes(options.users, firstPostAt - 30 * DAY_MS, firstPostAt, random);
  const seededUsers: SeededUser[] = userTimes.map((at) => {
    const firstName = pick(FIRST_NAMES, random);
    const lastName = pick(LAST_NAMES, random);
    // A few go by their given name alone, as many profiles do.
    const displayName = random() < 0.1 ? firstName : `${firstName} ${lastName}`;
    const id = clock.idAt(at);
    return {
      id,
      username: uniqueUsername(firstName, lastName, random, taken),
      displayName,
      firstName,
      isPrivate: random() < PRIVATE_SHARE,
      createdAt: at,
      // Uploaded when the account was made; dropped below if the account never posts.
      mediaId: clock.next(),
      posts: [],
    };
  });

  // Some accounts post a lot and most a little: authors are drawn with weight 1 / rank^0.6.
  const author = zipfSampler(seededUsers.length, 0.6, random);
  const tagVocabulary = buildTagVocabulary(random);
  const tagOf = zipfSampler(tagVocabulary.length, 1, random);
  const wordOf = zipfSampler(CAPTION_WORDS.length, 0.8, random);
  const postTimes = sortedTimes(options.posts, firstPostAt, options.now - 60_000, random);
  const seededPosts: SeededPost[] = postTimes.map((at, index) => {
    const words = Array.from({ length: 8 + Math.floor(random() * 5) }, () => CAPTION_WORDS[wordOf()] ?? "");
    const tagCount = pickTagCount(random());
    const spelled = new Set<string>();
    for (let i = 0; i < tagCount; i++) spelled.add(tagVocabulary[tagOf()] ?? "");
    const caption = [...words, ...[...spelled].map((tag) => `#${tag}`)].join(" ");
    const authorIndex = author();
    const id = clock.idAt(at);
    seededUsers[authorIndex]?.posts.push(index);
    return {
      id,
      authorIndex,
      caption,
      hashtags: parseHashtags(caption),
      createdAt: idTimestamp(id).getTime(),
    };
  });

  for (const user of seededUsers) if (user.posts.length === 0) user.mediaId = undefined;

  const tags = new Map<string, SeededTag>();
  for (const post of seededPosts) {
    for (const spelling of spelledHashtags(post.caption)) {
      const tag = spelling.toLowerCase();
      const known = tags.get(tag) ?? {
        tag,
        spelling: spelling === tag ? undefined : spelling,
        posts: 0,
      };
      known.posts++;
      tags.set(tag, known);
    }
  }
  return { users: seededUsers, posts: seededPosts, tags: [...tags.values()] };
}

/** The documents the search service makes of the dataset: what StoreSearchSources reads back from its rows. */
export function searchDocuments(dataset: SearchDataset): {
  users: UserDocument[];
  posts: PostDocument[];
  tags: TagDocument[];
} {
  return {
    users: dataset.users.map((user) => ({
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      isPrivate: user.isPrivate,
      followerCount: 0,
    })),
    posts: dataset.posts.map((post) => {
      const author = at(dataset.users, post.authorIndex);
      return {
        id: post.id,
        authorId: author.id,
        caption: post.caption,
        hashtags: post.hashtags,
        authorPrivate: author.isPrivate,
        createdAt: post.createdAt,
      };
    }),
    tags: dataset.tags.map((tag) => ({
      tag: tag.tag,
      words: wordsOf(tag.spelling ?? tag.tag),
      postCount: tag.posts,
    })),
  };
}

/**
 * Queries as people type them. Users: exact usernames, the first three letters of a given name (with its
 * accents half of the time), a given name with one letter wrong or doubled. Tags: the start of a used tag, one
 * word of a CamelCase tag. Posts: one caption word, or two that follow each other in a caption.
 */
export function benchQueries(dataset: SearchDataset, seed: number, perKind = 10): BenchQueries {
  const random = randomSource(seed ^ 0x5eed);
  // Each list holds distinct queries: a repeated one would only measure a cache the engine may have.
  const distinct = (make: () => string, first: readonly string[] = []): string[] => {
    const made = new Set(first);
    for (let attempt = 0; made.size < perKind && attempt < 100 * perKind; attempt++) made.add(make());
    return [...made];
  };
  const someUser = () => at(dataset.users, Math.floor(random() * dataset.users.length));
  const exact = distinct(() => someUser().username);
  const prefixes = distinct(() => {
    const name = someUser().firstName;
    const typed = random() < 0.5 ? name : fold(name);
    return [...typed].slice(0, 3).join("");
  });
  const longNames = FIRST_NAMES.filter((name) => fold(name).length >= 5);
  // The issue's own example first: "marianna" must find Mariana.
  const typos = distinct(() => oneTypo(fold(pick(longNames, random)), random), ["marianna"]);

  // Tags from the popular to the rare: the rank drawn as random² of the thousand most used.
  const byUse = [...dataset.tags].sort((a, b) => b.posts - a.posts || (a.tag < b.tag ? -1 : 1));
  const someTag = (tags: readonly SeededTag[]) =>
    at(tags, Math.floor(random() ** 2 * Math.min(tags.length, 1_000)));
  const tagPrefixes = distinct(() => [...someTag(byUse).tag].slice(0, 3 + Math.floor(random() * 3)).join(""));
  const camel = byUse.filter((tag) => tag.spelling !== undefined && wordsOf(tag.spelling).length > 1);
  const camelWords = distinct(() => {
    const tag = someTag(camel);
    const words = wordsOf(tag.spelling ?? tag.tag);
    return at(words, Math.floor(random() * words.length));
  });

  const somePost = () => at(dataset.posts, Math.floor(random() * dataset.posts.length));
  const captionWords = (post: SeededPost) => post.caption.split(" ").filter((word) => !word.startsWith("#"));
  const single = distinct(() => {
    const words = captionWords(somePost());
    return at(words, Math.floor(random() * words.length));
  });
  const pairs = distinct(() => {
    const words = captionWords(somePost());
    const i = Math.floor(random() * (words.length - 1));
    return `${at(words, i)} ${at(words, i + 1)}`;
  });
  return {
    users: [...exact, ...prefixes, ...typos],
    tags: [...tagPrefixes, ...camelWords],
    posts: [...single, ...pairs],
  };
}

// ---- writing ----

export interface SeedProgress {
  (step: string, done: number, total: number): void;
}

/** Writes the dataset into an open store; answers how many rows it wrote. */
export async function writeSearchDataset(
  store: WideRowStore,
  dataset: SearchDataset,
  progress?: SeedProgress,
): Promise<{ rows: number }> {
  const count = { rows: 0 };
  const created = (user: SeededUser) => new Date(user.createdAt);
  await inParallel(
    dataset.users.length,
    async (i) => {
      const user = at(dataset.users, i);
      await writeAccount(store, user, created(user), count);
      if (user.mediaId !== undefined)
        await writeReadyMedia(store, user.id, user.mediaId, created(user), count);
    },
    (done) => progress?.("accounts", done, dataset.users.length),
  );
  await inParallel(
    dataset.users.length,
    (i) => writePosts(store, dataset, at(dataset.users, i), count),
    (done) => progress?.("posts", done, dataset.users.length),
  );
  const tagPages = new TagPages(store);
  await inParallel(
    dataset.posts.length,
    async (i) => {
      const post = at(dataset.posts, i);
      if (post.hashtags.length === 0) return;
      await tagPages.listed({
        postId: post.id,
        authorId: at(dataset.users, post.authorIndex).id,
        hashtags: post.hashtags,
        createdAt: new Date(post.createdAt),
        caption: post.caption,
      });
      // insertIfAbsent of the page row, then the bucket's counter and the tag's.
      count.rows += 3 * post.hashtags.length;
    },
    (done) => progress?.("tag pages", done, dataset.posts.length),
  );
  const spelled = dataset.tags.filter((tag) => tag.spelling !== undefined);
  await inParallel(spelled.length, async (i) => {
    const { tag, spelling } = at(spelled, i);
    if (spelling !== undefined) await store.put(tagSpellings, { tag, spelling });
    count.rows++;
  });
  return count;
}

/** The account row, its claims made permanent (as sign-up leaves them), and its post counter. */
async function writeAccount(
  store: WideRowStore,
  user: SeededUser,
  created: Date,
  count: { rows: number },
): Promise<void> {
  const email = `${user.username}@bench.example.com`;
  await store.put(users, {
    user_id: user.id,
    username: user.username,
    email,
    password_hash: "x",
    display_name: user.displayName,
    bio: "",
    is_private: user.isPrivate,
    created_at: created,
  });
  await store.insertIfAbsent(usernames, { username: user.username, user_id: user.id });
  await store.insertIfAbsent(emails, { email, user_id: user.id });
  if (user.posts.length > 0) {
    await store.increment(userCounts, { user_id: user.id }, { posts: user.posts.length });
  }
  count.rows += 4;
}

/** The author's posts, a batch per monthly bucket, and the post → author lookups. */
async function writePosts(
  store: WideRowStore,
  dataset: SearchDataset,
  user: SeededUser,
  count: { rows: number },
): Promise<void> {
  if (user.posts.length === 0 || user.mediaId === undefined) return;
  const mediaIds = JSON.stringify([user.mediaId]);
  const byBucket = new Map<number, SeededPost[]>();
  for (const index of user.posts) {
    const post = at(dataset.posts, index);
    const bucket = authorPosts.bucketOf(post.id);
    byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), post]);
  }
  for (const group of byBucket.values()) {
    const partition = await authorPosts.writePartition(store, user.id, group[0]?.id ?? "");
    const rows = group.map((post): RowWrite<typeof posts> => ({
      ...partition,
      post_id: post.id,
      caption: post.caption,
      hashtags: JSON.stringify(post.hashtags),
      mentions: "[]",
      media_ids: mediaIds,
      created_at: new Date(post.createdAt),
    }));
    await batchInto(store, posts, partition, rows);
    count.rows += rows.length;
  }
  await Promise.all(
    user.posts.map((index) =>
      store.put(postAuthors, { post_id: at(dataset.posts, index).id, author_id: user.id }),
    ),
  );
  count.rows += user.posts.length;
}

async function batchInto<T extends AnyTable>(
  store: WideRowStore,
  table: T,
  partition: PartitionKey<T>,
  rows: readonly RowWrite<T>[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const chunk = rows.slice(start, start + BATCH_ROWS).map((row) => ({ op: "put" as const, row }));
    await store.batch(table, partition, chunk);
  }
}

/** Runs `task` for 0..count-1, CONCURRENCY at a time, reporting every thousandth. */
async function inParallel(
  count: number,
  task: (i: number) => Promise<void>,
  progress?: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      await task(next++);
      if (++done % 1_000 === 0 || done === count) progress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
}

// ---- helpers ----

/**
 * Snowflake ids at chosen times, in increasing order: the ids of a dataset made over weeks, which is what makes
 * the posts land in the monthly and hourly buckets a real history would fill.
 */
class SteppedClock {
  private now = 0;
  private readonly ids: SnowflakeGenerator;

  constructor(workerId: number) {
    this.ids = new SnowflakeGenerator({ workerId, now: () => this.now });
  }

  idAt(ms: number): string {
    this.now = Math.max(this.now, ms);
    return this.next();
  }

  next(): string {
    const id = this.ids.nextSync();
    if (id === undefined) throw new Error("no id available at this millisecond: spread the times wider");
    return id;
  }
}

function sortedTimes(count: number, from: number, to: number, random: () => number): number[] {
  return Array.from({ length: count }, () => Math.floor(from + random() * (to - from))).sort((a, b) => a - b);
}

/** 0 to 3 tags: a quarter of the posts none, a third one, a quarter two, the rest three. */
function pickTagCount(r: number): number {
  if (r < 0.25) return 0;
  if (r < 0.6) return 1;
  if (r < 0.85) return 2;
  return 3;
}

/** About TAG_VOCABULARY tags as people spell them: single words, CamelCase pairs, run-together pairs, years. */
function buildTagVocabulary(random: () => number): string[] {
  const byLower = new Map<string, string>();
  const add = (spelling: string) => {
    if (!byLower.has(spelling.toLowerCase())) byLower.set(spelling.toLowerCase(), spelling);
  };
  for (const word of TAG_WORDS) add(word);
  for (const tag of ACCENTED_TAGS) add(tag);
  const capital = (word: string) => `${word[0]?.toUpperCase() ?? ""}${word.slice(1)}`;
  let attempts = 0;
  while (byLower.size < TAG_VOCABULARY && attempts++ < 100 * TAG_VOCABULARY) {
    const a = pick(TAG_WORDS, random);
    const b = pick(TAG_WORDS, random);
    if (a === b) continue;
    const r = random();
    if (r < 0.6) add(`${capital(a)}${capital(b)}`);
    else if (r < 0.85) add(`${a}${b}`);
    else if (r < 0.95) add(`${random() < 0.5 ? capital(a) : a}${2020 + Math.floor(random() * 7)}`);
    else add(`${a}_${b}`);
  }
  return shuffle([...byLower.values()], random);
}

/** `firstname.lastname`, `firstname_lastname42`, `flastname`…: folded to what usernames may hold, unique. */
function uniqueUsername(first: string, last: string, random: () => number, taken: Set<string>): string {
  const f = fold(first).replace(/[^a-z0-9]/g, "");
  const l = fold(last).replace(/[^a-z0-9]/g, "");
  const r = random();
  let base: string;
  if (r < 0.35) base = `${f}.${l}`;
  else if (r < 0.6) base = `${f}_${l}`;
  else if (r < 0.75) base = `${f}${l}`;
  else if (r < 0.9) base = `${f.slice(0, 1)}${l}`;
  else base = f;
  base = base.slice(0, 24);
  if (base.length < 3) base = `${base}_${l}`.slice(0, 24);
  let name = base;
  while (taken.has(name)) name = `${base}${Math.floor(random() * (name === base ? 100 : 100_000))}`;
  taken.add(name);
  return name;
}

/** One letter replaced or doubled, never the first (people rarely get that wrong). */
function oneTypo(word: string, random: () => number): string {
  const i = 1 + Math.floor(random() * (word.length - 1));
  if (random() < 0.5) return `${word.slice(0, i)}${word[i - 1] ?? ""}${word.slice(i)}`;
  const letters = "aeiourstnlm";
  let replacement = letters[Math.floor(random() * letters.length)] ?? "a";
  if (replacement === word[i]) replacement = replacement === "a" ? "e" : "a";
  return `${word.slice(0, i)}${replacement}${word.slice(i + 1)}`;
}

/** Lower case without diacritics, with the letters that have no separate mark spelled out. */
function fold(text: string): string {
  const unmarked: Readonly<Record<string, string>> = { ß: "ss", ø: "o", ł: "l", æ: "ae", œ: "oe", ı: "i" };
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/[ßøłæœı]/g, (letter) => unmarked[letter] ?? letter);
}

/** Draws 0..n-1 with weight 1 / (rank + 1)^exponent, the ranks in a random order. */
function zipfSampler(n: number, exponent: number, random: () => number): () => number {
  const order = shuffle(
    Array.from({ length: n }, (_, i) => i),
    random,
  );
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let rank = 0; rank < n; rank++) {
    sum += 1 / Math.pow(rank + 1, exponent);
    cumulative[rank] = sum;
  }
  return () => {
    const value = random() * sum;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] ?? 0) < value) low = middle + 1;
      else high = middle;
    }
    return order[low] ?? 0;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = items[i];
    const b = items[j];
    if (a !== undefined && b !== undefined) [items[i], items[j]] = [b, a];
  }
  return items;
}

function pick<T>(list: readonly T[], random: () => number): T {
  return at(list, Math.floor(random() * list.length));
}

/** An element the generator guarantees is there. */
function at<T>(list: readonly T[], i: number): T {
  const value = list[i];
  if (value === undefined) throw new Error(`no element ${i}`);
  return value;
}

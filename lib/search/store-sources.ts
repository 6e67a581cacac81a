import { userCounts, users } from "../accounts/tables";
import { media } from "../media-library/tables";
import { authorPosts, postAuthors, postKey, posts } from "../posts/tables";
import type { WideRowStore } from "../store/store";
import type { Position } from "../validation/bucketed-list";
import type { PostDocument, TagDocument, UserDocument } from "./search-index";
import { tagSpellings } from "./search-sync";

/** Where the indexer reads the truth it makes searchable: undefined means the document is gone. */
export interface SearchSources {
  user(userId: string): Promise<UserDocument | undefined>;
  post(postId: string): Promise<PostDocument | undefined>;
  tag(tag: string): Promise<TagDocument | undefined>;
  /** An author's post ids, newest first, a page at a time. */
  postIdsOf(authorId: string): AsyncIterable<string[]>;
  /** Every account id, a page at a time (a full scan: for reindexing). */
  userIds(): AsyncIterable<string[]>;
}

const PAGE = 500;

/** The sources, read straight from the store's rows. */
export class StoreSearchSources implements SearchSources {
  constructor(
    private readonly deps: {
      store: WideRowStore;
      /** Posts that carry a tag now (the tag pages keep the count). */
      tagPostCount: (tag: string) => Promise<number>;
    },
  ) {}

  async user(userId: string): Promise<UserDocument | undefined> {
    const [row, counts] = await Promise.all([
      this.deps.store.get(users, { user_id: userId }),
      this.deps.store.get(userCounts, { user_id: userId }),
    ]);
    if (row?.username === undefined) return undefined;
    return {
      id: userId,
      username: row.username,
      displayName: row.display_name ?? row.username,
      isPrivate: row.is_private ?? false,
      followerCount: Math.max(0, counts?.followers ?? 0),
    };
  }

  async post(postId: string): Promise<PostDocument | undefined> {
    const owner = await this.deps.store.get(postAuthors, { post_id: postId });
    const authorId = owner?.author_id;
    if (authorId === undefined) return undefined;
    const [row, author] = await Promise.all([
      this.deps.store.get(posts, postKey(authorId, postId)),
      this.deps.store.get(users, { user_id: authorId }),
    ]);
    // A close friends' post is searchable by nobody: to the index it is not there (reindexing included).
    if (row === undefined || author === undefined || row.audience === "close_friends") return undefined;
    // The words searched are the caption's and its media's alt texts (a described photo is found by what it shows).
    const mediaIds = parseStrings(row.media_ids);
    const described = await Promise.all(
      mediaIds.map(
        async (mediaId) =>
          (await this.deps.store.get(media, { owner_id: authorId, media_id: mediaId }))?.alt_text,
      ),
    );
    const words = [row.caption ?? "", ...described.filter((text): text is string => Boolean(text))];
    return {
      id: postId,
      authorId,
      caption: words.join("\n"),
      hashtags: parseStrings(row.hashtags),
      authorPrivate: author.is_private ?? false,
      createdAt: (row.created_at ?? new Date(0)).getTime(),
    };
  }

  async tag(tag: string): Promise<TagDocument | undefined> {
    const lower = tag.toLowerCase();
    const [postCount, spelled] = await Promise.all([
      this.deps.tagPostCount(lower),
      this.deps.store.get(tagSpellings, { tag: lower }),
    ]);
    if (postCount <= 0) return undefined;
    return { tag: lower, words: wordsOf(spelled?.spelling ?? tag), postCount };
  }

  async *postIdsOf(authorId: string): AsyncIterable<string[]> {
    let after: Position | undefined;
    for (;;) {
      const { rows, more } = await authorPosts.walk(this.deps.store, authorId, { after, limit: PAGE });
      if (rows.length > 0) yield rows.map((row) => row.post_id);
      const last = rows.at(-1);
      if (!more || last === undefined) return;
      after = authorPosts.shape.position(last);
    }
  }

  async *userIds(): AsyncIterable<string[]> {
    let pageToken: string | undefined;
    do {
      const page = await this.deps.store.scan(users, {
        limit: PAGE,
        ...(pageToken !== undefined && { pageToken }),
      });
      if (page.rows.length > 0) yield page.rows.map((row) => row.user_id);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
  }
}

/** `SummerVibes2026` → summer, vibes, 2026: the words a person would search a tag by. */
export function wordsOf(spelling: string): string[] {
  const words = spelling
    .split(/_|(?<=\p{Ll})(?=\p{Lu})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})/u)
    .map((word) => word.toLowerCase())
    .filter((word) => word.length > 0);
  return words.length > 1 ? words : [];
}

/** A JSON list of strings as a post row keeps its tags and media ids; anything else in it is left out. */
function parseStrings(text: string | undefined): string[] {
  if (!text) return [];
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((tag): tag is string => typeof tag === "string") : [];
}

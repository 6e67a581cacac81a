import type { MediaView, PostView, UserView } from "../contracts/objects";
import { asSerialized, type Serialized } from "../contracts/serialized";
import { LruMap } from "../concurrency/lru-map";
import { estimateBytes } from "../cache/budget";
import type { Page } from "../validation/page";

/** Posts and authors whose text a node keeps; past it the least recently used are serialised again. */
const KEPT_POSTS = 50_000;
const KEPT_AUTHORS = 10_000;

/**
 * Every field a post view has, each written below: the compiler fails here when PostView gains a field this
 * writer does not know (it would otherwise be left out of every feed page without a sound).
 */
type Written =
  | "id"
  | "author"
  | "caption"
  | "hashtags"
  | "mentions"
  | "media"
  | "createdAt"
  | "editedAt"
  | "audience"
  | "likeCount"
  | "commentCount"
  | "viewCount"
  | "playCount"
  | "likedByMe"
  | "savedByMe";
type Assert<T extends true> = T;
/** Compiles only while every field of PostView is written. */
export type EveryPostFieldWritten = Assert<[Exclude<keyof PostView, Written>] extends [never] ? true : false>;
/** Compiles only while every field of UserView is written (the relationship per answer, the rest kept). */
export type EveryAuthorFieldWritten = Assert<
  [Exclude<keyof UserView, keyof KeptProfile | "relationship">] extends [never] ? true : false
>;
type KeptProfile = Pick<
  UserView,
  | "id"
  | "username"
  | "displayName"
  | "bio"
  | "avatarUrl"
  | "isPrivate"
  | "createdAt"
  | "counts"
  | "email"
  | "role"
  | "emailVerified"
>;

interface KeptBody {
  caption: string;
  hashtags: readonly string[];
  mentions: readonly string[];
  media: readonly MediaView[];
  createdAt: string;
  editedAt: string | undefined;
  audience: PostView["audience"];
  /** `"caption":…,"createdAt":…(,"editedAt":…),"audience":…`, without braces. */
  text: string;
}

interface KeptAuthor {
  of: UserView;
  /** `{"id":…,"counts":{…}` (and `"email"` when there), without the closing brace. */
  text: string;
}

/**
 * The JSON text of pages of posts, each post written as `JSON.stringify` would write it (same keys, same order),
 * from parts this node wrote before: what a post says does not change once its media are ready, and an author's
 * profile changes far less often than it is shown. Only what belongs to the viewer (their relationship to the
 * author, whether they liked or saved it) and the counts are written per answer. Serialising a feed page of 20
 * posts whole was a tenth of its CPU.
 *
 * A kept part is used only while the view holds the same values it was made from (the same media view objects,
 * which the media cache hands out while a media does not change; the same caption, lists and profile fields), so
 * an edit, a media that became ready or a profile change is written afresh, never shown stale.
 */
export class PostJson {
  private readonly bodies: LruMap<string, KeptBody>;
  private readonly authors: LruMap<string, KeptAuthor>;
  /** The whole text of author views already written, by the view object (views are never changed once made). */
  private readonly writtenAuthors = new WeakMap<UserView, string>();

  /**
   * `maxBytes`: what the kept texts may hold, estimated (lib/cache/budget.ts), nine tenths for posts; unbounded
   * in bytes without it.
   */
  constructor(options: { maxBytes?: number } = {}) {
    const { maxBytes } = options;
    // Text is what a body holds beyond the view it was made from (whose fields the rows and media caches hold).
    this.bodies = new LruMap(
      KEPT_POSTS,
      maxBytes === undefined
        ? undefined
        : { max: maxBytes * 0.9, sizeOf: (body) => 64 + estimateBytes(body.text) },
    );
    this.authors = new LruMap(
      KEPT_AUTHORS,
      maxBytes === undefined ? undefined : { max: maxBytes * 0.1, sizeOf: (author) => estimateBytes(author) },
    );
  }

  /** The estimated size of the texts it keeps. */
  get sizeInBytes(): number {
    return this.bodies.sizeInBytes + this.authors.sizeInBytes;
  }

  page(page: Page<PostView>): Serialized<Page<PostView>> {
    let text = '{"items":[';
    for (let i = 0; i < page.items.length; i++) {
      const post = page.items[i];
      if (post === undefined) continue;
      if (i > 0) text += ",";
      text += this.post(post);
    }
    return asSerialized(`${text}],"nextCursor":${JSON.stringify(page.nextCursor)}}`);
  }

  private post(post: PostView): string {
    return (
      `{"id":"${post.id}","author":${this.author(post.author)},${this.body(post)},` +
      `"likeCount":${post.likeCount},"commentCount":${post.commentCount},` +
      `"likedByMe":${post.likedByMe},"savedByMe":${post.savedByMe}` +
      // The author's own counts, last, where hydration adds them (lib/posts/posts.ts, withViewCounts).
      (post.viewCount === undefined ? "" : `,"viewCount":${post.viewCount}`) +
      (post.playCount === undefined ? "" : `,"playCount":${post.playCount}`) +
      "}"
    );
  }

  private body(post: PostView): string {
    const kept = this.bodies.get(post.id);
    if (
      kept !== undefined &&
      kept.caption === post.caption &&
      kept.createdAt === post.createdAt &&
      kept.editedAt === post.editedAt &&
      kept.audience === post.audience &&
      sameItems(kept.media, post.media) &&
      sameItems(kept.hashtags, post.hashtags) &&
      sameItems(kept.mentions, post.mentions)
    ) {
      return kept.text;
    }
    const { caption, hashtags, mentions, media, createdAt, editedAt, audience } = post;
    const body = {
      caption,
      hashtags,
      mentions,
      media,
      createdAt,
      ...(editedAt !== undefined && { editedAt }),
      audience,
    };
    const text = JSON.stringify(body).slice(1, -1);
    this.bodies.set(post.id, { caption, hashtags, mentions, media, createdAt, editedAt, audience, text });
    return text;
  }

  private author(author: UserView): string {
    // The feed hands the same author view to every page while the profile is kept (lib/timeline/author-views.ts).
    const written = this.writtenAuthors.get(author);
    if (written !== undefined) return written;
    const text = this.authorText(author);
    this.writtenAuthors.set(author, text);
    return text;
  }

  private authorText(author: UserView): string {
    const kept = this.authors.get(author.id);
    let text: string;
    if (kept !== undefined && sameProfile(kept.of, author)) text = kept.text;
    else {
      const { id, username, displayName, bio, avatarUrl, isPrivate, createdAt, counts, email } = author;
      const { role, emailVerified } = author;
      const profile = {
        ...{ id, username, displayName, bio, avatarUrl, isPrivate, createdAt, counts },
        ...(email !== undefined && { email }),
        ...(emailVerified !== undefined && { emailVerified }),
        ...(role !== undefined && { role }),
      };
      text = JSON.stringify(profile).slice(0, -1);
      this.authors.set(author.id, { of: author, text });
    }
    const { relationship: r } = author;
    return r === undefined
      ? `${text}}`
      : `${text},"relationship":{"following":${r.following},"followedBy":${r.followedBy},` +
          `"requested":${r.requested},"blocking":${r.blocking}}}`;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The same profile, whatever the relationship (written per answer). */
function sameProfile(a: UserView, b: UserView): boolean {
  return (
    a.username === b.username &&
    a.displayName === b.displayName &&
    a.bio === b.bio &&
    a.avatarUrl === b.avatarUrl &&
    a.isPrivate === b.isPrivate &&
    a.createdAt === b.createdAt &&
    a.email === b.email &&
    a.role === b.role &&
    a.emailVerified === b.emailVerified &&
    a.counts.followers === b.counts.followers &&
    a.counts.following === b.counts.following &&
    a.counts.posts === b.counts.posts
  );
}

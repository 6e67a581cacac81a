import type { PostView, UserView } from "../contracts/objects";
import { asSerialized, type Serialized } from "../contracts/serialized";
import { LruMap } from "../concurrency/lru-map";
import type { Page } from "../validation/page";

/** Posts and authors whose text a node keeps; past it the least recently used are serialised again. */
const KEPT_POSTS = 50_000;
const KEPT_AUTHORS = 10_000;

/** A part's text and the values it was made from: kept only while a view holds the same values. */
interface Kept {
  of: Record<string, unknown>;
  text: string;
}

/**
 * The JSON text of pages of posts, each post serialised the way `JSON.stringify` would (same keys, same order),
 * but from parts this node serialised before: what a post says never changes once its media are ready, and an
 * author's profile changes far less often than it is shown. Only what belongs to the viewer (their relationship to
 * the author, whether they liked or saved it) and the counts are written per answer. A feed page is 20 such
 * posts, and serialising them whole was a tenth of its CPU.
 *
 * A kept part is used only while the view holds the same values it was made from (the same media view objects,
 * which the media cache hands out while they do not change, the same caption and author fields), so an edit, a
 * media that became ready or a profile change is serialised afresh, never shown stale.
 */
export class PostJson {
  private readonly posts = new LruMap<string, Kept>(KEPT_POSTS);
  private readonly authors = new LruMap<string, Kept>(KEPT_AUTHORS);

  page(page: Page<PostView>): Serialized<Page<PostView>> {
    let text = '{"items":[';
    page.items.forEach((post, i) => {
      if (i > 0) text += ",";
      text += this.post(post);
    });
    return asSerialized(`${text}],"nextCursor":${JSON.stringify(page.nextCursor)}}`);
  }

  private post(post: PostView): string {
    // What differs per viewer or per second is written here; everything else is the kept part.
    const { id, author, likeCount, commentCount, likedByMe, savedByMe, ...body } = post;
    return (
      `{"id":${JSON.stringify(id)},"author":${this.author(author)},${part(this.posts, id, body)},` +
      `"likeCount":${likeCount},"commentCount":${commentCount},"likedByMe":${likedByMe},"savedByMe":${savedByMe}}`
    );
  }

  private author(author: UserView): string {
    const { relationship, ...profile } = author;
    const text = part(this.authors, author.id, profile);
    return relationship === undefined
      ? `{${text}}`
      : `{${text},"relationship":${JSON.stringify(relationship)}}`;
  }
}

/** The object's members as JSON text without braces, kept by `key` while the object holds the same values. */
function part(kept: LruMap<string, Kept>, key: string, of: Record<string, unknown>): string {
  const found = kept.get(key);
  if (found !== undefined && sameValues(found.of, of)) return found.text;
  const text = JSON.stringify(of).slice(1, -1);
  kept.set(key, { of, text });
  return text;
}

/**
 * The same members with the same values, one level down: arrays item by item and objects member by member, by
 * identity (the media cache hands out the same view objects while a media does not change), anything deeper only
 * when it is the very same object.
 */
function sameValues(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(b);
  if (Object.keys(a).length !== keys.length) return false;
  return keys.every((key) => {
    const [x, y] = [a[key], b[key]];
    if (x === y) return true;
    if (Array.isArray(x) && Array.isArray(y))
      return x.length === y.length && x.every((item, i) => item === y[i]);
    if (isPlainObject(x) && isPlainObject(y)) {
      const inner = Object.keys(y);
      return Object.keys(x).length === inner.length && inner.every((k) => x[k] === y[k]);
    }
    return false;
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

import { extensionOf } from "../media/sniff";
import type { Readable } from "node:stream";
import type {
  CommentView,
  ConversationView,
  MessageView,
  PostView,
  StoryView,
  UserView,
} from "../contracts/objects";
import type { Page } from "../validation/page";
import type { ZipWriter } from "./zip-writer";

/**
 * What an archive is made of, read through each module's own API as the account's owner sees it (the export
 * service binds these to the actions of posts, interactions, graph, inbox, stories and users). Every list comes a
 * page at a time: no list is ever held whole.
 */
export interface ExportReader {
  profile(): Promise<UserView>;
  posts(username: string, cursor: string | undefined): Promise<Page<PostView>>;
  comments(cursor: string | undefined): Promise<Page<CommentView>>;
  liked(cursor: string | undefined): Promise<Page<PostView>>;
  following(username: string, cursor: string | undefined): Promise<Page<UserView>>;
  followers(username: string, cursor: string | undefined): Promise<Page<UserView>>;
  conversations(cursor: string | undefined): Promise<Page<ConversationView>>;
  messages(conversationId: string, cursor: string | undefined): Promise<Page<MessageView>>;
  /** Live stories: a bounded list, answered whole by the stories service. */
  stories(username: string): Promise<StoryView[]>;
}

/** An original as it was uploaded, byte for byte: its type (for the file's extension) and its bytes. */
export interface OriginalFile {
  contentType: string;
  open(): Promise<Readable | undefined>;
}

/** The owner's original of a media, or undefined when it is not theirs or is gone. */
export type Originals = (mediaId: string) => Promise<OriginalFile | undefined>;

/** Counts what the archive will hold (`found`) and what it holds (`wrote`), for the job's progress. */
export interface ArchiveProgress {
  found(count: number): void;
  wrote(count: number): void;
}

/**
 * Writes the whole archive: JSON files for the profile, posts, comments, likes, follows, messages and live
 * stories, then the original file of every media of the posts and stories under `media/`. Posts are read twice
 * (once for posts.json, once for their files) instead of remembering their media: the second pass stops at the
 * newest post of the first, so a post made meanwhile has no file without its entry.
 */
export async function writeArchive(
  zip: ZipWriter,
  reader: ExportReader,
  originals: Originals,
  progress: ArchiveProgress,
): Promise<void> {
  const profile = await reader.profile();
  progress.found(1);
  await zip.text("profile.json", (write) => write(`${JSON.stringify(profileEntry(profile), null, 2)}\n`));
  progress.wrote(1);
  const { username } = profile;

  let newestPostId: bigint | undefined;
  await jsonArray(
    zip,
    "posts.json",
    (cursor) => reader.posts(username, cursor),
    async (post) => {
      if (newestPostId === undefined || BigInt(post.id) > newestPostId) newestPostId = BigInt(post.id);
      return postEntry(post, await filesOf(post.media, originals));
    },
    progress,
  );
  await jsonArray(zip, "comments.json", (cursor) => reader.comments(cursor), commentEntry, progress);
  await jsonArray(zip, "likes.json", (cursor) => reader.liked(cursor), likeEntry, progress);
  await jsonArray(zip, "following.json", (cursor) => reader.following(username, cursor), userEntry, progress);
  await jsonArray(zip, "followers.json", (cursor) => reader.followers(username, cursor), userEntry, progress);
  await conversationsFile(zip, reader, progress);

  const stories = await reader.stories(username);
  progress.found(stories.length);
  const storyFiles = await filesOf(
    stories.map((story) => story.media),
    originals,
  );
  await zip.text("stories.json", async (write) => {
    await write("[");
    for (const [i, story] of stories.entries()) {
      await write(`${i === 0 ? "\n" : ",\n"}${JSON.stringify(storyEntry(story, storyFiles))}`);
      progress.wrote(1);
    }
    await write(stories.length === 0 ? "]\n" : "\n]\n");
  });

  // The files last: the JSON above names each one, and a reader finds them by those names.
  let cursor: string | undefined;
  do {
    const page = await reader.posts(username, cursor);
    const media = page.items
      .filter((post) => newestPostId !== undefined && BigInt(post.id) <= newestPostId)
      .flatMap((post) => post.media);
    await writeFiles(zip, media, originals, progress);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  await writeFiles(
    zip,
    stories.map((story) => story.media),
    originals,
    progress,
  );
}

/** A JSON array file written item by item, paging through its list. */
async function jsonArray<T>(
  zip: ZipWriter,
  name: string,
  page: (cursor: string | undefined) => Promise<Page<T>>,
  entry: (item: T) => unknown,
  progress: ArchiveProgress,
): Promise<void> {
  await zip.text(name, async (write) => {
    let first = true;
    let cursor: string | undefined;
    await write("[");
    do {
      const items = await page(cursor);
      progress.found(items.items.length);
      for (const item of items.items) {
        await write(`${first ? "\n" : ",\n"}${JSON.stringify(await entry(item))}`);
        first = false;
        progress.wrote(1);
      }
      cursor = items.nextCursor ?? undefined;
    } while (cursor !== undefined);
    await write(first ? "]\n" : "\n]\n");
  });
}

/** messages.json: each conversation the owner is a member of, with all its messages (newest first). */
async function conversationsFile(
  zip: ZipWriter,
  reader: ExportReader,
  progress: ArchiveProgress,
): Promise<void> {
  await zip.text("messages.json", async (write) => {
    let firstConversation = true;
    let cursor: string | undefined;
    await write("[");
    do {
      const page = await reader.conversations(cursor);
      progress.found(page.items.length);
      for (const conversation of page.items) {
        const head = JSON.stringify({
          id: conversation.id,
          members: conversation.members.map((member) => ({ id: member.id, username: member.username })),
        });
        // The conversation's object left open, to append its messages as they are read.
        await write(`${firstConversation ? "\n" : ",\n"}${head.slice(0, -1)},"messages":[`);
        firstConversation = false;
        let firstMessage = true;
        let messageCursor: string | undefined;
        do {
          const messages = await reader.messages(conversation.id, messageCursor);
          progress.found(messages.items.length);
          for (const message of messages.items) {
            await write(`${firstMessage ? "\n" : ",\n"}${JSON.stringify(messageEntry(message))}`);
            firstMessage = false;
            progress.wrote(1);
          }
          messageCursor = messages.nextCursor ?? undefined;
        } while (messageCursor !== undefined);
        await write(firstMessage ? "]}" : "\n]}");
        progress.wrote(1);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    await write(firstConversation ? "]\n" : "\n]\n");
  });
}

/** The archive's file name of each media that has an original of the owner's (null: none to include). */
async function filesOf(
  media: readonly { id: string }[],
  originals: Originals,
): Promise<Map<string, string | null>> {
  const files = new Map<string, string | null>();
  for (const item of media) {
    const original = await originals(item.id);
    files.set(item.id, original ? fileNameOf(item.id, original.contentType) : null);
  }
  return files;
}

async function writeFiles(
  zip: ZipWriter,
  media: readonly { id: string }[],
  originals: Originals,
  progress: ArchiveProgress,
): Promise<void> {
  for (const item of media) {
    const original = await originals(item.id);
    const body = original && (await original.open());
    if (!original || !body) continue;
    progress.found(1);
    await zip.file(fileNameOf(item.id, original.contentType), body);
    progress.wrote(1);
  }
}

export function fileNameOf(mediaId: string, contentType: string): string {
  return `media/${mediaId}.${extensionOf(contentType) ?? "bin"}`;
}

function profileEntry(user: UserView) {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    bio: user.bio,
    email: user.email ?? null,
    emailVerified: user.emailVerified ?? null,
    isPrivate: user.isPrivate,
    createdAt: user.createdAt,
    counts: user.counts,
  };
}

function postEntry(post: PostView, files: ReadonlyMap<string, string | null>) {
  return {
    id: post.id,
    caption: post.caption,
    hashtags: post.hashtags,
    mentions: post.mentions,
    audience: post.audience,
    createdAt: post.createdAt,
    ...(post.editedAt !== undefined && { editedAt: post.editedAt }),
    likeCount: post.likeCount,
    commentCount: post.commentCount,
    media: post.media.map((media) => ({
      id: media.id,
      type: media.type,
      altText: media.altText,
      width: media.width,
      height: media.height,
      ...(media.durationMs !== undefined && { durationMs: media.durationMs }),
      file: files.get(media.id) ?? null,
    })),
  };
}

function commentEntry(comment: CommentView) {
  return {
    id: comment.id,
    postId: comment.postId,
    replyToId: comment.replyToId,
    text: comment.text,
    createdAt: comment.createdAt,
  };
}

function likeEntry(post: PostView) {
  return { postId: post.id, author: post.author.username, caption: post.caption, postedAt: post.createdAt };
}

function userEntry(user: UserView) {
  return { id: user.id, username: user.username, displayName: user.displayName };
}

function messageEntry(message: MessageView) {
  return {
    id: message.id,
    sender: message.sender.username,
    createdAt: message.createdAt,
    ...(message.text !== undefined && { text: message.text }),
    ...(message.postId !== undefined && { postId: message.postId }),
    ...(message.media !== undefined && { media: { id: message.media.id, type: message.media.type } }),
    ...(message.removed === true && { removed: true }),
  };
}

function storyEntry(story: StoryView, files: ReadonlyMap<string, string | null>) {
  return {
    id: story.id,
    createdAt: story.createdAt,
    expiresAt: story.expiresAt,
    audience: story.audience,
    media: {
      id: story.media.id,
      type: story.media.type,
      altText: story.media.altText,
      file: files.get(story.media.id) ?? null,
    },
  };
}

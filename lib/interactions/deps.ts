import type { Accounts } from "../accounts";
import type { Graph } from "../graph";
import type { Messenger, Notifier } from "../contracts/ports";
import type { Posts } from "../posts/posts";
import type { WideRowStore } from "../store/store";
import type { WriteJournal } from "../journal/write-journal";

export interface InteractionsDeps {
  store: WideRowStore;
  ids: { next(): Promise<string> };
  now: () => number;
  /** Decides who may see a post (404 otherwise) and whose it is. */
  posts: Posts;
  accounts: Accounts;
  graph: Graph;
  notifier: Notifier;
  messenger: Messenger;
  /** Records writes that span partitions, so that one cut short is completed. */
  journal: WriteJournal;
  /** A post's like or comment count changed here: counts this node keeps of it are stale. */
  countsChanged?: (postId: string) => void;
}

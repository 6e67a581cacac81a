import type { WideRowStore } from "../store/store";
import type { ReportTarget } from "./params";
import { removedContent } from "./tables";
import { targetKey } from "./targets";

/**
 * What moderators removed, for the readers of things that point at content by id (a post shared in a
 * conversation, a notification about a post or a comment): the content's own rows are gone, and this says it was
 * removed rather than deleted by its author. Read each time: a removal shows at once on every node.
 */
export class Removals {
  constructor(private readonly store: WideRowStore) {}

  /** The targets among those given that a moderator removed, by their keys (targetKey). */
  async removed(targets: readonly ReportTarget[]): Promise<Set<string>> {
    const keys = [...new Set(targets.map(targetKey))];
    const found = await Promise.all(keys.map((key) => this.store.get(removedContent, { target_key: key })));
    return new Set(keys.filter((_, i) => found[i] !== undefined));
  }
}

import type { Context, ServiceSchema } from "moleculer";
import type { PayloadOf } from "../lib/contracts";
import { callerIdOf, defineActions } from "../broker/define-action";
import { SearchWorker } from "../lib/search/search-worker";
import type { AppContext } from "../lib/app-context";
import type { WideRowStore } from "../lib/store/store";
import { users } from "../lib/accounts/tables";

type Search = NonNullable<AppContext["search"]>;

/**
 * Search: answers `GET /api/search` from the index and keeps the index true, applying the outbox's jobs
 * (lib/search/search-worker.ts). Its own node role (`SERVICES=search`) in a cluster.
 */
export function createSearchService(deps: { search: Search; store: WideRowStore }): ServiceSchema {
  const { index, indexer, queries, reindexer } = deps.search;
  let worker: SearchWorker | undefined;
  const running = (): SearchWorker => {
    if (worker === undefined) throw new Error("the search service is not started");
    return worker;
  };
  return {
    name: "search",
    events: {
      "search.jobs": {
        handler() {
          worker?.kick();
        },
      },
      "accounts.standing-changed": {
        handler(ctx: Context<PayloadOf<"accounts.standing-changed">>) {
          queries.forget(ctx.params.userId);
        },
      },
    },
    actions: defineActions("search", {
      query: {
        handler: async (ctx) => {
          await running().ready();
          return queries.search(callerIdOf(ctx), ctx.params);
        },
      },
      status: {
        handler: async () => {
          await running().ready();
          const [generation, users, posts, tags, reindex] = await Promise.all([
            index.generations.live(),
            index.count("user"),
            index.count("post"),
            index.count("tag"),
            reindexer.status(),
          ]);
          const pending = indexer.pending();
          return {
            generation,
            documents: { users, posts, tags },
            pendingJobs: pending.jobs,
            oldestPendingAgeMs: pending.oldestAgeMs,
            reindex: reindex ?? null,
          };
        },
      },
      reindex: {
        handler: async (ctx) => {
          await running().ready();
          const run = running().reindex(ctx.params.restart);
          // Answers at once with where it stands; the reindex goes on in the background.
          void run.catch(() => undefined);
          const status = await reindexer.status();
          return status ?? { generation: await index.generations.live(), phase: "done", done: 0 };
        },
      },
    }),
    started() {
      worker = new SearchWorker({
        index,
        indexer,
        reindexer,
        storeHasAccounts: async () => (await deps.store.scan(users, { limit: 1 })).rows.length > 0,
        warn: (message, err) => this.logger.warn(message, err instanceof Error ? err.message : (err ?? "")),
        info: (message) => this.logger.info(message),
      });
      worker.start();
    },
    async stopped() {
      await worker?.stop();
    },
  };
}

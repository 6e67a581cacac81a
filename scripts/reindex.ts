import { loadConfig } from "../config";
import { accountTables } from "../lib/accounts";
import { discoveryTables } from "../lib/discovery/tables";
import { TagPages } from "../lib/discovery/tag-pages";
import { SnowflakeGenerator } from "../lib/ids";
import { postTables } from "../lib/posts/tables";
import { createSearchIndex } from "../lib/search/factory";
import { searchReindexTables, SearchReindexer } from "../lib/search/reindex";
import { searchSyncTables } from "../lib/search/search-sync";
import { StoreSearchSources } from "../lib/search/store-sources";
import { createStore } from "../lib/store";

/**
 * `npm run reindex [-- --restart]`: rebuilds the search index from the store into a new generation and swaps it in,
 * printing progress; resumes a reindex cut short. It opens the store and the engine itself, so on the embedded
 * default it runs while no node does (LevelDB allows one process); with a node running, use the REPL's
 * `search-reindex`, which runs the same code on the search node.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const store = createStore({ store: config.store, dataDir: config.dataDir, nodeId: "reindex" });
  await store.open([
    ...accountTables,
    ...postTables,
    ...discoveryTables,
    ...searchSyncTables,
    ...searchReindexTables,
  ]);
  const index = createSearchIndex(config.search, config.dataDir);
  await index.open();
  const tagPages = new TagPages(store);
  const reindexer = new SearchReindexer({
    store,
    index,
    sources: new StoreSearchSources({ store, tagPostCount: (tag) => tagPages.tagPostCount(tag) }),
    ids: new SnowflakeGenerator({ workerId: config.workerId }),
    progress: (p) =>
      console.log(`${p.phase === "done" ? "done" : "reindexing"} ${p.generation}: ${p.done} accounts`),
  });
  const started = Date.now();
  const done = await reindexer.run({ restart: process.argv.includes("--restart") });
  const counts = await Promise.all((["user", "post", "tag"] as const).map((type) => index.count(type)));
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `${done.generation} is live: ${counts[0]} users, ${counts[1]} posts, ${counts[2]} tags in ${seconds.toFixed(1)} s ` +
      `(${Math.round(counts.reduce((a, b) => a + b, 0) / seconds)} documents/s)`,
  );
  await index.close();
  await store.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

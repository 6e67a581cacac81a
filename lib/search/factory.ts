import path from "node:path";
import type { Config } from "../../config";
import { ThreadedSearchIndex } from "./embedded/threaded-search-index";
import { OpenSearchIndex } from "./opensearch/opensearch-index";
import type { SearchIndex } from "./search-index";

/**
 * The search adapter the config names: the engine at SEARCH_URL, or the embedded index under DATA_DIR/search, on
 * a thread of its own so that its scoring runs beside the node's requests.
 */
export function createSearchIndex(config: Config["search"], dataDir: string): SearchIndex {
  return config.kind === "opensearch"
    ? new OpenSearchIndex({
        url: config.url,
        indexPrefix: config.indexPrefix,
        requestTimeoutMs: config.timeoutMs,
      })
    : new ThreadedSearchIndex({ dir: path.join(dataDir, "search"), queryTimeoutMs: config.timeoutMs });
}

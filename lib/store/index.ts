import path from "node:path";
import type { Config } from "../../config";
import { CassandraStore } from "./cassandra";
import { LevelStore } from "./level";
import { MeteredStore } from "./metered-store";
import type { WideRowStore } from "./store";
import type { StoreMetrics } from "../metrics/store-metrics";

export type { WideRowStore } from "./store";

const CONSISTENCY = {
  ONE: "one",
  LOCAL_ONE: "localOne",
  QUORUM: "quorum",
  LOCAL_QUORUM: "localQuorum",
  EACH_QUORUM: "eachQuorum",
  ALL: "all",
} as const;

/** The store named by configuration; every service gets this one instance, measured when `metrics` is given. */
export function createStore(
  config: Pick<Config, "store" | "dataDir"> & { nodeId: string },
  now?: () => number,
  metrics?: StoreMetrics,
): WideRowStore {
  const adapter = createAdapter(config, now);
  return metrics === undefined ? adapter : new MeteredStore(adapter, metrics);
}

function createAdapter(
  config: Pick<Config, "store" | "dataDir"> & { nodeId: string },
  now?: () => number,
): WideRowStore {
  const store = config.store;
  switch (store.kind) {
    case "level":
      return new LevelStore({ path: path.join(config.dataDir, "store"), ...(now && { now }) });
    case "cassandra":
      return new CassandraStore({
        contactPoints: store.contactPoints,
        localDataCenter: store.localDataCenter,
        keyspace: store.keyspace,
        replication: store.replication,
        consistency: CONSISTENCY[store.consistency],
        requestTimeoutMs: store.timeoutMs,
        nodeId: config.nodeId,
        credentials: store.credentials && {
          username: store.credentials.username,
          password: store.credentials.password.reveal(),
        },
        tls: store.tls,
      });
  }
}

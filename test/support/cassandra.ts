import { Client } from "cassandra-driver";
import { CassandraStore } from "../../lib/store/cassandra";

/** Where the infra tests find Cassandra: scripts/infra/cassandra.sh starts one on 127.0.0.1:9042. */
export const CASSANDRA_CONTACT_POINTS = process.env.CASSANDRA_CONTACT_POINTS ?? "127.0.0.1:9042";

export function testCassandraStore(keyspace: string, nodeId = "test"): CassandraStore {
  return new CassandraStore({
    contactPoints: CASSANDRA_CONTACT_POINTS.split(","),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? "datacenter1",
    keyspace,
    replication: { class: "SimpleStrategy", replication_factor: 1 },
    consistency: "localQuorum",
    requestTimeoutMs: 10_000,
    nodeId,
  });
}

/** Where the infra runs find Redis (normally running on our machines; .ci/run starts it when not). */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Env for a test node in cluster mode, on Cassandra with Redis shared limits and cache (see startTestNode). */
export function cassandraNodeEnv(keyspace = "mosaic_test"): Record<string, string> {
  return { STORE: "cassandra", CASSANDRA_CONTACT_POINTS, CASSANDRA_KEYSPACE: keyspace, REDIS_URL };
}

/**
 * Drops a keyspace a test made for itself. Each one holds memtables for every table in Cassandra's heap, so a
 * machine whose Cassandra outlives many runs would otherwise run out of it.
 */
export async function dropTestKeyspace(keyspace: string): Promise<void> {
  if (!/^mosaic_[a-z0-9_]+$/.test(keyspace)) throw new Error(`not a test keyspace: ${keyspace}`);
  const client = new Client({
    contactPoints: CASSANDRA_CONTACT_POINTS.split(","),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? "datacenter1",
  });
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
}

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

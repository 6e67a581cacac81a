import { auth, Client } from "cassandra-driver";
import { CassandraStore, type CassandraStoreOptions } from "../../lib/store/cassandra";

/** Where the infra tests find Cassandra: scripts/infra/cassandra.sh starts one on 127.0.0.1:9042. */
export const CASSANDRA_CONTACT_POINTS = process.env.CASSANDRA_CONTACT_POINTS ?? "127.0.0.1:9042";

/**
 * The login when the test Cassandra requires one: `MOSAIC_CASSANDRA_AUTH=1 scripts/infra/cassandra.sh up` starts it
 * so, with the superuser cassandra/cassandra (.ci/run exports both variables). Unset: a Cassandra without logins.
 */
export const CASSANDRA_CREDENTIALS =
  process.env.CASSANDRA_USERNAME && process.env.CASSANDRA_PASSWORD
    ? { username: process.env.CASSANDRA_USERNAME, password: process.env.CASSANDRA_PASSWORD }
    : undefined;

export function testCassandraStore(
  keyspace: string,
  nodeId = "test",
  overrides: Partial<CassandraStoreOptions> = {},
): CassandraStore {
  return new CassandraStore({
    contactPoints: CASSANDRA_CONTACT_POINTS.split(","),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? "datacenter1",
    keyspace,
    replication: { class: "SimpleStrategy", replication_factor: 1 },
    consistency: "localQuorum",
    requestTimeoutMs: 10_000,
    nodeId,
    credentials: CASSANDRA_CREDENTIALS,
    ...overrides,
  });
}

/** Where the infra runs find Redis (normally running on our machines; .ci/run starts it when not). */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Env for a test node in cluster mode, on Cassandra with Redis shared limits and cache (see startTestNode). */
export function cassandraNodeEnv(keyspace = "mosaic_test"): Record<string, string> {
  return {
    STORE: "cassandra",
    CASSANDRA_CONTACT_POINTS,
    CASSANDRA_KEYSPACE: keyspace,
    REDIS_URL,
    ...(CASSANDRA_CREDENTIALS && {
      CASSANDRA_USERNAME: CASSANDRA_CREDENTIALS.username,
      CASSANDRA_PASSWORD: CASSANDRA_CREDENTIALS.password,
    }),
  };
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
    ...(CASSANDRA_CREDENTIALS && {
      authProvider: new auth.PlainTextAuthProvider(
        CASSANDRA_CREDENTIALS.username,
        CASSANDRA_CREDENTIALS.password,
      ),
    }),
  });
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
}

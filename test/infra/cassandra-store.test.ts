import { describeStoreContract } from "../unit/store/contract";
import { testCassandraStore } from "../support/cassandra";

// The same contract the embedded adapter passes, against a real Cassandra (npm run test:infra).
describeStoreContract("CassandraStore", () => {
  const store = testCassandraStore("mosaic_contract");
  return Promise.resolve({ store, clock: undefined, teardown: () => store.close() });
});

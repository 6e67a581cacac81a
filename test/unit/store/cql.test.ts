import { expect } from "chai";
import { createTableCql } from "../../../lib/store/cql";
import { defineTable } from "../../../lib/store/schema";

describe("CQL from table declarations", () => {
  const jobs = defineTable({
    name: "jobs",
    columns: { shard: "int", job_id: "id", note: "text" },
    partitionKey: ["shard"],
    clustering: [{ column: "job_id", order: "asc" }],
    ttlSeconds: 60,
    transient: true,
  });

  it("creates a transient table with tombstones purged after an hour, beside its order and TTL", () => {
    expect(createTableCql("ks", jobs)).to.equal(
      "CREATE TABLE IF NOT EXISTS ks.jobs (shard bigint, job_id bigint, note text, PRIMARY KEY ((shard), job_id)) " +
        "WITH CLUSTERING ORDER BY (job_id ASC) AND default_time_to_live = 60 AND gc_grace_seconds = 3600",
    );
  });

  it("leaves other tables at Cassandra's default grace", () => {
    const plain = defineTable({ name: "plain", columns: { k: "id", v: "text" }, partitionKey: ["k"] });
    expect(createTableCql("ks", plain)).to.not.contain("gc_grace_seconds");
  });
});

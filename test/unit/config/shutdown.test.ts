import { expect } from "chai";
import { ConfigError, loadConfig } from "../../../config";

const cluster = { TRANSPORTER: "nats://127.0.0.1:4222", SERVICES: "gateway" };

describe("config: graceful shutdown", () => {
  it("drains 5 s on a cluster node and not at all on the embedded default, unless told", () => {
    expect(loadConfig({}).shutdownDrainMs, "npm start: Ctrl-C stops at once").to.equal(0);
    expect(loadConfig(cluster).shutdownDrainMs).to.equal(5_000);
    expect(loadConfig({ ...cluster, DRAIN_SECONDS: "0" }).shutdownDrainMs).to.equal(0);
    expect(loadConfig({ ...cluster, DRAIN_SECONDS: "12" }).shutdownDrainMs).to.equal(12_000);
    expect(loadConfig({ DRAIN_SECONDS: "3" }).shutdownDrainMs).to.equal(3_000);
  });

  it("gives in-flight work up to an hour, so a transcoder can be given its longest job", () => {
    expect(loadConfig({}).shutdownGraceMs).to.equal(10_000);
    expect(loadConfig({ SHUTDOWN_GRACE_MS: "600000" }).shutdownGraceMs).to.equal(600_000);
    expect(() => loadConfig({ SHUTDOWN_GRACE_MS: "3600001" })).to.throw(ConfigError, /SHUTDOWN_GRACE_MS/);
  });

  it("refuses a drain that is negative, fractional or longer than 5 minutes", () => {
    for (const value of ["-1", "1.5", "301", "soon"]) {
      expect(() => loadConfig({ DRAIN_SECONDS: value }), value).to.throw(ConfigError, /DRAIN_SECONDS/);
    }
  });
});

import { expect } from "chai";
import {
  normalizeAddress,
  parseTrustProxy,
  ProxyTrust,
  type TrustProxy,
} from "../../../lib/http/trust-proxy";

function trust(text: string): ProxyTrust {
  const parsed = parseTrustProxy(text);
  if ("error" in parsed) throw new Error(parsed.error);
  return new ProxyTrust(parsed);
}

describe("TRUST_PROXY", () => {
  describe("parsing", () => {
    it("reads none, a hop count, and lists of IPv4 and IPv6 networks and addresses", () => {
      expect(parseTrustProxy("none")).to.deep.equal({ kind: "none" });
      expect(parseTrustProxy("off")).to.deep.equal({ kind: "none" });
      expect(parseTrustProxy("0")).to.deep.equal({ kind: "none" });
      expect(parseTrustProxy(" 2 ")).to.deep.equal({ kind: "hops", hops: 2 });
      expect(parseTrustProxy("10.0.0.0/8, 127.0.0.1,::1/128,fd00::/8")).to.deep.equal({
        kind: "networks",
        networks: [
          { family: "ipv4", address: "10.0.0.0", prefix: 8 },
          { family: "ipv4", address: "127.0.0.1", prefix: 32 },
          { family: "ipv6", address: "::1", prefix: 128 },
          { family: "ipv6", address: "fd00::", prefix: 8 },
        ],
      });
      expect(parseTrustProxy("::ffff:10.0.0.0/104")).to.deep.equal({
        kind: "networks",
        networks: [{ family: "ipv4", address: "10.0.0.0", prefix: 8 }],
      });
    });

    it("refuses `on`, which believed anyone, and anything that is not an address, a network or a count", () => {
      for (const bad of [
        "on",
        "yes",
        "10.0.0.0/33",
        "::1/129",
        "10.0.0",
        "10.0.0.0/8,",
        "10.0.0.0/8;192.168.0.0/16",
        "example.com",
        "1.2.3.4/-1",
        "fe80::1%eth0",
        "99",
      ]) {
        const parsed = parseTrustProxy(bad);
        expect(parsed, bad).to.have.property("error").that.is.a("string").and.not.empty;
      }
      expect((parseTrustProxy("on") as { error: string }).error).to.match(/hop count|networks/);
    });
  });

  describe("finding the client", () => {
    it("takes the socket's address and ignores X-Forwarded-For when no proxy is trusted", () => {
      const none = new ProxyTrust({ kind: "none" } satisfies TrustProxy);
      expect(none.clientAddress("203.0.113.9", "1.1.1.1")).to.equal("203.0.113.9");
      expect(none.clientAddress(undefined, "1.1.1.1")).to.equal("unknown");
    });

    it("walks from the right, one entry per trusted hop", () => {
      const one = trust("1");
      expect(one.clientAddress("10.0.0.2", "6.6.6.6, 198.51.100.7")).to.equal("198.51.100.7");
      expect(one.clientAddress("10.0.0.2", undefined)).to.equal("10.0.0.2");
      const two = trust("2");
      expect(two.clientAddress("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.3")).to.equal("198.51.100.7");
      // Fewer hops than trusted: the leftmost is as far as it goes.
      expect(two.clientAddress("10.0.0.2", "198.51.100.7")).to.equal("198.51.100.7");
    });

    it("passes over trusted networks only, so addresses a client wrote further left are never reached", () => {
      const networks = trust("10.0.0.0/8,127.0.0.1");
      expect(networks.clientAddress("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3")).to.equal("198.51.100.7");
      // A client spoofing a trusted address on the left gains nothing: the walk stops at the first untrusted.
      expect(networks.clientAddress("127.0.0.1", "10.9.9.9, 198.51.100.7")).to.equal("198.51.100.7");
      // A socket that is no trusted proxy is the client, whatever it claims.
      expect(networks.clientAddress("198.51.100.50", "10.0.0.1, 1.2.3.4")).to.equal("198.51.100.50");
      // Every hop trusted: the leftmost.
      expect(networks.clientAddress("127.0.0.1", "10.0.0.9, 10.0.0.8")).to.equal("10.0.0.9");
    });

    it("understands IPv6 and IPv4-mapped addresses", () => {
      const v6 = trust("::1/128,2001:db8:1::/48,10.0.0.0/8");
      expect(v6.clientAddress("::1", "2001:db8:ffff::5, 2001:db8:1::7")).to.equal("2001:db8:ffff::5");
      expect(v6.clientAddress("::ffff:10.0.0.1", "2001:DB8:FFFF::5")).to.equal("2001:db8:ffff::5");
      expect(v6.clientAddress("::ffff:198.51.100.3", "1.2.3.4")).to.equal("198.51.100.3");
      expect(v6.clientAddress("::1", "[2001:db8:ffff::6]:4321")).to.equal("2001:db8:ffff::6");
      expect(v6.clientAddress("::1", "198.51.100.4:5555")).to.equal("198.51.100.4");
    });

    it("stops at a malformed entry, keeping the last address it could read", () => {
      const one = trust("2");
      expect(one.clientAddress("10.0.0.2", "198.51.100.7, garbage")).to.equal("10.0.0.2");
      expect(one.clientAddress("10.0.0.2", "198.51.100.7,, 10.0.0.3")).to.equal("10.0.0.3");
      expect(one.clientAddress("10.0.0.2", "unknown")).to.equal("10.0.0.2");
      expect(one.clientAddress("10.0.0.2", "")).to.equal("10.0.0.2");
      const networks = trust("127.0.0.1");
      expect(networks.clientAddress("127.0.0.1", "<script>")).to.equal("127.0.0.1");
      expect(networks.clientAddress("127.0.0.1", ["1.1.1.1", "198.51.100.7"])).to.equal("198.51.100.7");
    });
  });

  it("normalises addresses the way the limiter keys on them", () => {
    expect(normalizeAddress(" 198.51.100.7 ")).to.equal("198.51.100.7");
    expect(normalizeAddress("::FFFF:198.51.100.7")).to.equal("198.51.100.7");
    expect(normalizeAddress("::ffff:c633:6407")).to.equal("198.51.100.7");
    expect(normalizeAddress("0:0:0:0:0:ffff:198.51.100.7")).to.equal("198.51.100.7");
    expect(normalizeAddress("[2001:DB8::1]")).to.equal("2001:db8::1");
    expect(normalizeAddress("fe80::1%eth0")).to.equal("fe80::1");
    for (const bad of ["", "1.2.3", "1.2.3.4.5", "host:80", "[1.2.3.4", "2001:db8::1:99999"]) {
      expect(normalizeAddress(bad), bad).to.equal(undefined);
    }
  });
});

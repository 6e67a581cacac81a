import { expect } from "chai";
import { CorsPolicy, parseCorsOrigins } from "../../../lib/http/cors";

const HEADERS = {
  methods: ["GET", "POST"],
  allowedHeaders: ["Authorization", "Content-Type"],
  exposedHeaders: ["X-Request-Id"],
  maxAgeSeconds: 600,
};

describe("CORS", () => {
  it("parses an allow-list of exact origins, `*` and `none`", () => {
    expect(parseCorsOrigins("*")).to.deep.equal({ origins: "*" });
    expect(parseCorsOrigins("none")).to.deep.equal({ origins: [] });
    expect(parseCorsOrigins("https://App.Example, http://localhost:5173/")).to.deep.equal({
      origins: ["https://app.example", "http://localhost:5173"],
    });
    for (const bad of [
      "app.example",
      "https://app.example/path",
      "https://app.example?x=1",
      "https://user@app.example",
      "ftp://app.example",
      "*, https://app.example",
      "null",
      "https://app.example,",
    ]) {
      expect(parseCorsOrigins(bad), bad).to.have.property("error").that.is.a("string");
    }
  });

  it("sends nothing at all with an empty list", () => {
    const off = new CorsPolicy({ origins: [], ...HEADERS });
    expect(off.answerHeaders("https://app.example")).to.deep.equal({});
    expect(off.preflightHeaders("https://app.example")).to.equal(undefined);
  });

  it("reflects an allowed origin only, and says the answer varies by origin", () => {
    const list = new CorsPolicy({ origins: ["https://app.example"], ...HEADERS });
    expect(list.answerHeaders("https://app.example")).to.deep.equal({
      Vary: "Origin",
      "Access-Control-Allow-Origin": "https://app.example",
      "Access-Control-Expose-Headers": "X-Request-Id",
    });
    expect(list.answerHeaders("https://other.example")).to.deep.equal({ Vary: "Origin" });
    expect(list.answerHeaders(undefined)).to.deep.equal({ Vary: "Origin" });
    expect(list.preflightHeaders("https://other.example")).to.equal(undefined);
    expect(list.preflightHeaders("https://app.example")).to.include({
      "Access-Control-Allow-Origin": "https://app.example",
      "Access-Control-Allow-Methods": "GET, POST",
      "Access-Control-Allow-Headers": "Authorization, Content-Type",
      "Access-Control-Max-Age": "600",
    });
  });

  it("allows any origin only when `*` is asked for", () => {
    const any = new CorsPolicy({ origins: "*", ...HEADERS });
    expect(any.answerHeaders("https://whoever.example")["Access-Control-Allow-Origin"]).to.equal("*");
    expect(any.answerHeaders(undefined)).to.deep.equal({});
  });
});

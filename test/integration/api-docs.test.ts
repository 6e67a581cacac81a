import { expect } from "chai";
import { buildOpenApi } from "../../services/gateway/openapi";
import { startTestNode, type TestNode } from "../support/test-node";

describe("the API reference served by the gateway", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.stop();
  });

  it("serves the OpenAPI document at /api/openapi.json, without a token, and 304 when unchanged", async () => {
    const res = await fetch(`${t.url}/api/openapi.json`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^application\/json/);
    expect(await res.json()).to.deep.equal(JSON.parse(JSON.stringify(buildOpenApi())));
    const etag = res.headers.get("etag");
    expect(etag).to.be.a("string");
    const again = await fetch(`${t.url}/api/openapi.json`, { headers: { "if-none-match": etag ?? "" } });
    expect(again.status).to.equal(304);
  });

  it("serves a reference page at /api/docs that loads Redoc from this origin, with a policy that lets it run", async () => {
    const page = await fetch(`${t.url}/api/docs`);
    expect(page.status).to.equal(200);
    expect(page.headers.get("content-type")).to.match(/^text\/html/);
    const html = await page.text();
    expect(html).to.include('spec-url="/api/openapi.json"');
    const script = /<script src="([^"]+)"/.exec(html)?.[1];
    expect(script).to.equal("/api/docs/redoc.standalone.js");
    const policy = page.headers.get("content-security-policy") ?? "";
    expect(policy).to.include("style-src 'self' 'unsafe-inline'").and.include("worker-src 'self' blob:");
    expect(policy).to.not.match(/script-src[^;]*unsafe/);

    const bundle = await fetch(`${t.url}${script}`);
    expect(bundle.status).to.equal(200);
    expect(bundle.headers.get("content-type")).to.match(/^text\/javascript/);
    expect(await bundle.text()).to.include("Redoc");
  });

  it("leaves other /api paths to the API: an unknown one is a JSON 404", async () => {
    const res = await fetch(`${t.url}/api/docs/other.js`);
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal("NOT_FOUND");
  });
});

import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { buildOpenApi } from "../../../services/gateway/openapi";
import { apiRoutes } from "../../../services/gateway/routes";

describe("docs/openapi.json", () => {
  const built = buildOpenApi() as { paths: Record<string, Record<string, { requestBody?: unknown }>> };

  it("is what `npm run openapi` writes from the routes and param schemas (regenerate it if this fails)", () => {
    const committed: unknown = JSON.parse(
      readFileSync(path.resolve(__dirname, "../../../docs/openapi.json"), "utf8"),
    );
    expect(committed).to.deep.equal(JSON.parse(JSON.stringify(built)));
  });

  it("documents every route of the gateway", () => {
    for (const key of Object.keys(apiRoutes)) {
      const [method = "", route = ""] = key.split(" ");
      const p = `/api${route.replace(/:([A-Za-z]+)/g, "{$1}")}`;
      expect(built.paths[p]?.[method.toLowerCase()], key).to.be.an("object");
    }
  });

  it("lists the edge's answers to bodies that stall (408) or are too large (413)", () => {
    const responses = (p: string, method: string) =>
      Object.keys((built.paths[p]?.[method] as { responses: Record<string, unknown> }).responses);
    for (const [p, method] of [
      ["/api/auth/signup", "post"],
      ["/api/posts", "post"],
      ["/api/media", "post"],
    ] as const) {
      expect(responses(p, method), `${method} ${p}`).to.include.members(["408", "413"]);
    }
    expect(responses("/api/uploads/{id}/parts/{n}", "put")).to.include("408");
    expect(responses("/api/me", "get")).to.not.include("408");
  });

  it("takes request bodies from the actions' schemas", () => {
    const signup = built.paths["/api/auth/signup"]?.post?.requestBody as {
      content: { "application/json": { schema: { required: string[]; additionalProperties: boolean } } };
    };
    const schema = signup.content["application/json"].schema;
    expect(schema.required).to.have.members(["username", "email", "password"]);
    expect(schema.additionalProperties).to.equal(false);
  });
});

import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { actionContracts, type ActionContract } from "../../../lib/contracts";
import { buildOpenApi } from "../../../services/gateway/openapi";
import { apiRoutes, type ApiRoute } from "../../../services/gateway/routes";

interface Operation {
  operationId: string;
  summary?: string;
  security?: unknown[];
  parameters: { name: string; in: string }[];
  requestBody?: {
    content: Record<string, { schema: { required?: string[]; additionalProperties?: boolean } }>;
  };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}

const built = buildOpenApi() as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};
const routes = Object.entries(apiRoutes) as [string, ApiRoute][];

function operationOf(key: string): Operation {
  const [method = "", route = ""] = key.split(" ");
  const op = built.paths[`/api${route.replace(/:([A-Za-z]+)/g, "{$1}")}`]?.[method.toLowerCase()];
  if (op === undefined) throw new Error(`${key} is not documented`);
  return op;
}

function successSchema(op: Operation): Record<string, unknown> | undefined {
  const [, success] = Object.entries(op.responses).find(([status]) => status.startsWith("2")) ?? [];
  return success?.content?.["application/json"]?.schema;
}

describe("the OpenAPI document", () => {
  it("is what `npm run openapi` writes to docs/openapi.json (regenerate it if this fails)", () => {
    const committed: unknown = JSON.parse(
      readFileSync(path.resolve(__dirname, "../../../docs/openapi.json"), "utf8"),
    );
    expect(committed).to.deep.equal(JSON.parse(JSON.stringify(built)));
  });

  it("documents every route of the gateway with its action's summary", () => {
    for (const [key, route] of routes) {
      const op = operationOf(key);
      expect(op.operationId, key).to.equal(route.action);
      expect(op.summary, key).to.equal(actionContracts[route.action].summary);
    }
  });

  it("routes no internal action, and every public action has a route", () => {
    const routed = new Set(routes.map(([, route]) => route.action));
    for (const [name, contract] of Object.entries(actionContracts) as [string, ActionContract][]) {
      expect(routed.has(name as ApiRoute["action"]), name).to.equal(contract.internal !== true);
    }
  });

  it("answers each route with its action's result, not a stand-in", () => {
    const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
    const page = (id: string) => ({ type: "array", items: ref(id) });
    const items = (key: string) =>
      (successSchema(operationOf(key))?.properties as Record<string, unknown>)?.items;
    expect(successSchema(operationOf("GET /me"))).to.deep.equal(ref("User"));
    expect(successSchema(operationOf("GET /posts/:id"))).to.deep.equal(ref("Post"));
    // A ranked page's posts may carry their score's terms (`rank`, with explain=1).
    expect(items("GET /feed")).to.deep.equal(page("RankedPost"));
    expect(items("GET /reels")).to.deep.equal(page("Post"));
    expect(items("GET /posts/:id/likes")).to.deep.equal(page("User"));
    expect(items("GET /posts/:id/comments")).to.deep.equal(page("Comment"));
    expect(items("GET /notifications")).to.deep.equal(page("Notification"));
    expect(items("GET /conversations")).to.deep.equal(page("Conversation"));
    expect(items("GET /conversations/:id/messages")).to.deep.equal(page("Message"));
    expect(items("GET /stories/feed")).to.deep.equal(page("StoryGroup"));
    expect(successSchema(operationOf("POST /posts/:id/like"))).to.deep.include({
      required: ["liked", "likeCount"],
    });
    // A 204 has no body to describe.
    expect(operationOf("DELETE /posts/:id").responses["204"]?.content).to.equal(undefined);
    expect(Object.keys(built.components.schemas)).to.include.members(["User", "Media", "Post", "Error"]);
  });

  it("lists the paging parameters of every list", () => {
    for (const [key] of routes.filter(([key]) => key.startsWith("GET "))) {
      const isPage = (successSchema(operationOf(key))?.required as string[] | undefined)?.includes(
        "nextCursor",
      );
      if (!isPage) continue;
      const query = operationOf(key)
        .parameters.filter((p) => p.in === "query")
        .map((p) => p.name);
      expect(query, key).to.include.members(["limit", "cursor"]);
    }
  });

  it("marks public routes `security: []` and the others bearer", () => {
    for (const [key, route] of routes) {
      expect(operationOf(key).security, key).to.deep.equal(route.auth === "none" ? [] : [{ bearer: [] }]);
    }
  });

  it("lists the errors a route answers with: 401 when signed in, 404 by path, 403 and 409 where they apply", () => {
    const statuses = (key: string) => Object.keys(operationOf(key).responses);
    expect(statuses("POST /auth/signup")).to.include.members(["400", "409", "413", "415", "429", "503"]);
    expect(statuses("POST /auth/signup")).to.not.include("401");
    expect(statuses("GET /posts/:id")).to.include.members(["401", "404"]);
    expect(statuses("DELETE /posts/:id")).to.include("403");
    expect(statuses("GET /feed")).to.not.include.members(["404", "413"]);
  });

  it("lists the edge's answers to bodies that stall (408) or are too large (413)", () => {
    for (const key of ["POST /auth/signup", "POST /posts", "POST /media"]) {
      expect(Object.keys(operationOf(key).responses), key).to.include.members(["408", "413"]);
    }
    expect(Object.keys(operationOf("PUT /uploads/:id/parts/:n").responses)).to.include("408");
    expect(Object.keys(operationOf("GET /me").responses)).to.not.include("408");
  });

  it("takes request bodies and query parameters from the actions' schemas", () => {
    const schema = operationOf("POST /auth/signup").requestBody?.content["application/json"]?.schema;
    expect(schema?.required).to.have.members(["username", "email", "password"]);
    expect(schema?.additionalProperties).to.equal(false);
    expect(operationOf("GET /feed").requestBody).to.equal(undefined);
  });
});

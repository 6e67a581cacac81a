import { readFileSync } from "node:fs";
import path from "node:path";

/** The part of JSON Schema that docs/openapi.json uses for parameters and bodies. */
export interface JsonSchema {
  type?: string | string[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  enum?: unknown[];
}

export interface FuzzParam {
  name: string;
  schema: JsonSchema;
}

export type FuzzBody =
  { kind: "none" } | { kind: "json"; schema: JsonSchema } | { kind: "multipart" } | { kind: "stream" };

/** One operation of the OpenAPI document, as the fuzzer drives it. */
export interface FuzzOperation {
  /** `METHOD /path/{param}`, as in the document. */
  key: string;
  method: string;
  /** The path template, `{name}` for each path parameter. */
  path: string;
  pathParams: FuzzParam[];
  queryParams: FuzzParam[];
  /** Header parameters the document lists (Idempotency-Key, Last-Event-ID). */
  headerParams: string[];
  body: FuzzBody;
  auth: boolean;
  /** `GET /api/stream`: a long-lived `text/event-stream` once authenticated. */
  eventStream: boolean;
  /** Under `/api`: answers are JSON (errors and successes alike). */
  api: boolean;
  /** The media type of its success as documented (`application/json`, `text/html`, …), when it names one. */
  successType: string | undefined;
}

export const OPENAPI_FILE = path.resolve(__dirname, "../../../docs/openapi.json");

/**
 * Bounds api.md states for fields whose document schema lost them (zod refinements do not survive the
 * conversion to JSON Schema): the fuzzer aims at these edges too.
 */
const CONTRACT_BOUNDS: Record<string, JsonSchema> = {
  displayName: { maxLength: 64 },
  bio: { maxLength: 150 },
  caption: { maxLength: 2200 },
  text: { minLength: 1, maxLength: 2200 },
  "/api/conversations/{id}/messages text": { minLength: 1, maxLength: 2000 },
};

/** Every operation of docs/openapi.json, read now (the document is generated from the route table). */
export function loadOperations(file = OPENAPI_FILE): FuzzOperation[] {
  const doc: unknown = JSON.parse(readFileSync(file, "utf8"));
  const paths = record(record(doc)?.paths);
  if (paths === undefined) throw new Error(`${file} has no paths`);
  const operations: FuzzOperation[] = [];
  for (const [template, item] of Object.entries(paths)) {
    for (const [method, raw] of Object.entries(record(item) ?? {})) {
      const op = record(raw);
      if (op === undefined) continue;
      operations.push(toOperation(method.toUpperCase(), template, op));
    }
  }
  return operations;
}

function toOperation(method: string, template: string, op: Record<string, unknown>): FuzzOperation {
  const params = (Array.isArray(op.parameters) ? op.parameters : []).flatMap((p: unknown) => {
    const param = record(p);
    if (param === undefined || typeof param.name !== "string" || typeof param.in !== "string") return [];
    return [{ name: param.name, in: param.in, schema: schemaOf(param.schema) }];
  });
  const content = record(record(op.requestBody)?.content) ?? {};
  const jsonSchema = record(content["application/json"])?.schema;
  const body: FuzzBody =
    jsonSchema !== undefined
      ? { kind: "json", schema: withContractBounds(template, schemaOf(jsonSchema)) }
      : content["multipart/form-data"] !== undefined
        ? { kind: "multipart" }
        : content["application/octet-stream"] !== undefined
          ? { kind: "stream" }
          : { kind: "none" };
  const api = template.startsWith("/api/");
  const eventStream = template === "/api/stream";
  const query: FuzzParam[] = params
    .filter((p) => p.in === "query")
    .map((p) => ({ name: p.name, schema: p.schema }));
  const success = Object.entries(record(op.responses) ?? {}).find(([status]) => status.startsWith("2"));
  const successType = Object.keys(record(record(success?.[1])?.content) ?? {})[0];
  return {
    key: `${method} ${template}`,
    method,
    path: template,
    pathParams: params.filter((p) => p.in === "path").map((p) => ({ name: p.name, schema: p.schema })),
    queryParams: query,
    headerParams: params.filter((p) => p.in === "header").map((p) => p.name),
    body,
    auth: Array.isArray(op.security) && op.security.length > 0,
    eventStream,
    api,
    successType,
  };
}

function withContractBounds(template: string, schema: JsonSchema): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, field]) => [
      name,
      field.type === "string"
        ? { ...(CONTRACT_BOUNDS[`${template} ${name}`] ?? CONTRACT_BOUNDS[name]), ...field }
        : field,
    ]),
  );
  return { ...schema, properties };
}

function schemaOf(value: unknown): JsonSchema {
  const raw = record(value);
  if (raw === undefined) return {};
  const schema: JsonSchema = {};
  if (typeof raw.type === "string" || isStringArray(raw.type)) schema.type = raw.type;
  for (const key of ["minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"] as const) {
    const n = raw[key];
    if (typeof n === "number") schema[key] = n;
  }
  if (typeof raw.pattern === "string") schema.pattern = raw.pattern;
  if (raw.items !== undefined) schema.items = schemaOf(raw.items);
  const properties = record(raw.properties);
  if (properties !== undefined) {
    schema.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, schemaOf(v)]));
  }
  if (isStringArray(raw.required)) schema.required = raw.required;
  if (typeof raw.additionalProperties === "boolean") schema.additionalProperties = raw.additionalProperties;
  if (Array.isArray(raw.enum)) schema.enum = raw.enum as unknown[];
  return schema;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

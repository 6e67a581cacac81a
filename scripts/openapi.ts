import { writeFileSync } from "node:fs";
import path from "node:path";
import { buildOpenApi } from "../services/gateway/openapi";

/** Writes docs/openapi.json from the route table and the actions' own param schemas. */
const file = path.resolve(__dirname, "../docs/openapi.json");
writeFileSync(file, `${JSON.stringify(buildOpenApi(), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), file)}`);

import { envSchema } from "../config/schema";

/** Prints the README's configuration table from the schema, so the two never disagree. */
const rows = Object.entries(envSchema.shape).map(([name, schema]) => {
  const parsed = schema.safeParse(undefined);
  const fallback = parsed.success && parsed.data !== undefined ? JSON.stringify(parsed.data) : "—";
  return `| \`${name}\` | ${fallback === "—" ? "—" : `\`${fallback.replace(/^"|"$/g, "")}\``} | ${schema.description ?? ""} |`;
});
console.log(["| variable | default | meaning |", "|---|---|---|", ...rows].join("\n"));

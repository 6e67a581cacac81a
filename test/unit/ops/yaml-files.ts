import { readFileSync } from "node:fs";
import { parseAllDocuments, type Document } from "yaml";

/** A YAML file that kubectl or docker-compose would refuse: a syntax error, a duplicate key, a bad alias. */
export class YamlFileError extends Error {
  constructor(file: string, problems: readonly string[]) {
    super(`${file}: ${problems.join("; ")}`);
    this.name = "YamlFileError";
  }
}

/**
 * Every non-empty document of a YAML file as plain values. Read as YAML 1.1, as kubectl and docker-compose read
 * it: an unquoted `on` or `yes` is a boolean there, so a ConfigMap value written that way fails its schema here
 * too; `<<` merge keys are resolved.
 */
export function readYamlDocuments(file: string): unknown[] {
  return parseYamlDocuments(readFileSync(file, "utf8"), file);
}

/** The same for YAML text (a block of a Markdown file); `source` names it in errors. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  const parsed: Document.Parsed[] = parseAllDocuments(text, {
    version: "1.1",
    merge: true,
    uniqueKeys: true,
  });
  const problems = parsed.flatMap((doc) => [...doc.errors, ...doc.warnings].map((e) => e.message));
  if (problems.length > 0) throw new YamlFileError(source, problems);
  return parsed.map((doc): unknown => doc.toJS({ maxAliasCount: 1000 })).filter((value) => value != null);
}

/** The single document of a YAML file (docker-compose.yml). */
export function readYamlDocument(file: string): unknown {
  const docs = readYamlDocuments(file);
  if (docs.length !== 1) throw new YamlFileError(file, [`expected one document, found ${docs.length}`]);
  return docs[0];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

import { readFileSync } from "node:fs";

export interface Instruction {
  /** Upper-case: FROM, RUN, ENV, … */
  keyword: string;
  /** The rest of the instruction, continuation lines joined. */
  args: string;
}

export interface Stage {
  /** The base image of its FROM. */
  base: string;
  /** Its `AS` name, if any. */
  name: string | undefined;
  instructions: Instruction[];
}

/** The stages of a Dockerfile (enough of its syntax for the checks: no heredocs, no parser directives). */
export function readDockerfile(file: string): Stage[] {
  const lines = readFileSync(file, "utf8")
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, " ") };
    if (instruction.keyword === "FROM") {
      const [base = "", as, name] = instruction.args.split(" ");
      stages.push({ base, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

/** The environment a stage's ENV instructions set (`ENV A=1 B=2`, or the old `ENV A 1`). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== "ENV") continue;
    const pairs = args.match(/[\w.-]+=("[^"]*"|\S*)/g);
    if (!pairs) {
      const [name = "", ...value] = args.split(" ");
      env[name] = value.join(" ");
      continue;
    }
    for (const pair of pairs) {
      const at = pair.indexOf("=");
      env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, "$1");
    }
  }
  return env;
}

/** An exec-form instruction's arguments (`ENTRYPOINT ["/usr/bin/tini", "--"]`), or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return isStrings(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item: unknown) => typeof item === "string");
}

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";

describe("README configuration table", () => {
  it("is the table scripts/config-table.ts prints from the schema (paste it in if this fails)", () => {
    const root = path.resolve(__dirname, "../../..");
    const table = execFileSync(process.execPath, ["--import", "tsx", "scripts/config-table.ts"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    // Prettier pads markdown tables, so compare rows with the padding and dashes folded.
    const fold = (text: string) =>
      text
        .split("\n")
        .map((line) =>
          line
            .replace(/\s*\|\s*/g, "|")
            .replace(/-{3,}/g, "---")
            .trim(),
        )
        .join("\n");
    expect(fold(readFileSync(path.join(root, "README.md"), "utf8"))).to.contain(fold(table));
  });
});

import { expect } from "chai";
import {
  ChunkedMiniSearch,
  partsOfPlainObject,
  type IndexPart,
} from "../../../lib/search/embedded/chunked-minisearch";

interface Doc {
  id: string;
  text: string;
  kind?: string;
}

const OPTIONS = { fields: ["text"], storeFields: ["text", "kind"], autoVacuum: false };

function filled(): ChunkedMiniSearch<Doc> {
  const index = new ChunkedMiniSearch<Doc>(OPTIONS);
  for (let i = 0; i < 25; i++) {
    index.add({ id: `d${i}`, text: `word${i % 7} common term${i}`, ...(i % 2 === 0 && { kind: "even" }) });
  }
  index.remove({ id: "d3", text: "word3 common term3" });
  index.remove({ id: "d10", text: "word3 common term10", kind: "even" });
  return index;
}

/** Documents in a part, or postings (a term in a document). */
function sizeOf(part: IndexPart): number {
  if (part.part === "docs") return part.docs.length;
  if (part.part === "head") return 1;
  return part.terms
    .flatMap(([, fields]) => Object.values(fields))
    .reduce((sum, byDoc) => sum + Object.keys(byDoc).length, 0);
}

/** toJSON with its terms in order: a radix tree lists its terms in the order they were added. */
function saved(index: ChunkedMiniSearch<Doc>) {
  const js = index.toJSON();
  return { ...js, index: [...js.index].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
}

describe("ChunkedMiniSearch", function () {
  it("restores from its parts exactly what toJSON would have saved", function () {
    const index = filled();
    const parts = [...index.parts(4)];
    for (const part of parts) expect(sizeOf(part)).to.be.at.most(4);
    // "common" is in all 23 documents: its postings are spread over several parts.
    const withCommon = parts.filter(
      (part) => part.part === "terms" && part.terms.some(([t]) => t === "common"),
    );
    expect(withCommon.length).to.be.at.least(6);
    expect(parts.filter((part) => part.part === "docs")).to.have.length(6); // 23 documents
    const restored = ChunkedMiniSearch.fromParts(parts, OPTIONS);
    expect(saved(restored)).to.deep.equal(saved(index));
    expect(restored.search("common").map((hit) => String(hit.id))).to.deep.equal(
      index.search("common").map((hit) => String(hit.id)),
    );
    expect(restored.getStoredFields("d4")).to.deep.equal({ text: "word4 common term4", kind: "even" });
    // It goes on working as an index: adds and removes after the restore.
    restored.add({ id: "d3", text: "word3 back again" });
    expect(restored.search("again").map((hit) => String(hit.id))).to.deep.equal(["d3"]);
    restored.remove({ id: "d4", text: "word4 common term4" });
    expect(restored.has("d4")).to.equal(false);
  });

  it("restores a whole toJSON object (the format-1 snapshots) through its parts", function () {
    const index = filled();
    const restored = ChunkedMiniSearch.fromParts(partsOfPlainObject(index.toJSON()), OPTIONS);
    expect(saved(restored)).to.deep.equal(saved(index));
  });

  it("refuses parts without their head first", function () {
    const [head, ...rest] = [...filled().parts(4)];
    expect(head?.part).to.equal("head");
    expect(() => ChunkedMiniSearch.fromParts(rest, OPTIONS)).to.throw("before the head");
    expect(() => ChunkedMiniSearch.fromParts([], OPTIONS)).to.throw("no head");
  });
});

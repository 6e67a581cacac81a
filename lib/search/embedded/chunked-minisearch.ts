import MiniSearch, { type AsPlainObject, type Options } from "minisearch";

/**
 * One part of a MiniSearch index's JSON. `toJSON()` builds the whole index as one object and the caller then
 * stringifies it in one go: on the search bench's 200,000 posts that held the event loop for 3.3 s, during which
 * the node answered nothing (`npm run bench:search-snapshot`). Parts are made one at a time, each bounded in
 * documents or postings, so a snapshot is written in many short turns (the longest 32 ms there).
 */
export type IndexPart =
  | {
      part: "head";
      documentCount: number;
      nextId: number;
      fieldIds: Record<string, number>;
      averageFieldLength: number[];
      dirtCount: number;
    }
  /** Documents: [short id, id, field lengths, stored fields (null: none)]. */
  | { part: "docs"; docs: IndexedDoc[] }
  /**
   * Terms, as in `toJSON().index`: [term, {field id: {short id: frequency}}]. A term with more postings than a
   * part holds is split over consecutive parts.
   */
  | { part: "terms"; terms: [string, Record<string, Record<string, number>>][] };

type IndexedDoc = [shortId: number, id: unknown, lengths: number[], stored: Record<string, unknown> | null];

/** The parts of an index saved whole by `toJSON()` (snapshots of format 1). */
export function partsOfPlainObject(js: AsPlainObject): IndexPart[] {
  if (js.serializationVersion !== 2) {
    throw new Error(`MiniSearch serialization version ${js.serializationVersion} is not read here`);
  }
  const stored = js.storedFields as Record<string, Record<string, unknown> | undefined>;
  return [
    {
      part: "head",
      documentCount: js.documentCount,
      nextId: js.nextId,
      fieldIds: js.fieldIds,
      averageFieldLength: js.averageFieldLength,
      dirtCount: js.dirtCount ?? 0,
    },
    {
      part: "docs",
      docs: Object.entries(js.documentIds as Record<string, unknown>).map(([shortId, id]) => [
        Number(shortId),
        id,
        js.fieldLength[shortId] ?? [],
        stored[shortId] ?? null,
      ]),
    },
    { part: "terms", terms: js.index },
  ];
}

/**
 * MiniSearch that writes and reads its index in parts (see IndexPart). It reads MiniSearch's protected fields the
 * way `toJSON` and `loadJS` do (minisearch 7; the round-trip tests fail if a release changes them). The index must
 * not change while its parts are being taken: EmbeddedSearchIndex takes them between batches, and nothing else
 * changes it (autoVacuum is off).
 */
export class ChunkedMiniSearch<T> extends MiniSearch<T> {
  /** An index restored from the parts `parts` produced (the head first, then documents and terms in any order). */
  static fromParts<T>(parts: Iterable<IndexPart>, options: Options<T>): ChunkedMiniSearch<T> {
    const index = new ChunkedMiniSearch<T>(options);
    let headSeen = false;
    for (const part of parts) {
      if (part.part === "head") {
        index.restoreHead(part);
        headSeen = true;
      } else if (!headSeen) {
        throw new Error("an index part came before the head");
      } else if (part.part === "docs") {
        index.restoreDocs(part.docs);
      } else {
        index.restoreTerms(part.terms);
      }
    }
    if (!headSeen) throw new Error("the index has no head");
    return index;
  }

  /** The index in parts of at most `size` documents or postings (a term in a document) each, made as asked for. */
  *parts(size: number): Generator<IndexPart> {
    yield {
      part: "head",
      documentCount: this._documentCount,
      nextId: this._nextId,
      fieldIds: this._fieldIds,
      averageFieldLength: this._avgFieldLength,
      dirtCount: this._dirtCount,
    };
    let docs: IndexedDoc[] = [];
    for (const [shortId, id] of this._documentIds as Map<number, unknown>) {
      docs.push([shortId, id, this._fieldLength.get(shortId) ?? [], this._storedFields.get(shortId) ?? null]);
      if (docs.length >= size) {
        yield { part: "docs", docs };
        docs = [];
      }
    }
    if (docs.length > 0) yield { part: "docs", docs };
    // Bounded by postings, not terms: a common word is in most documents, and one term's postings may span parts.
    let terms: [string, Record<string, Record<string, number>>][] = [];
    let postings = 0;
    for (const [term, fields] of this._index) {
      let data: Record<string, Record<string, number>> | undefined;
      for (const [fieldId, frequencies] of fields) {
        let byDoc: Record<string, number> | undefined;
        for (const [shortId, frequency] of frequencies) {
          if (postings >= size) {
            yield { part: "terms", terms };
            terms = [];
            postings = 0;
            data = undefined;
            byDoc = undefined;
          }
          if (data === undefined) {
            data = {};
            terms.push([term, data]);
          }
          if (byDoc === undefined) {
            byDoc = {};
            data[fieldId] = byDoc;
          }
          byDoc[shortId] = frequency;
          postings++;
        }
      }
    }
    if (terms.length > 0) yield { part: "terms", terms };
  }

  private restoreHead(head: Extract<IndexPart, { part: "head" }>): void {
    this._documentCount = head.documentCount;
    this._nextId = head.nextId;
    this._fieldIds = head.fieldIds;
    this._avgFieldLength = head.averageFieldLength;
    this._dirtCount = head.dirtCount;
  }

  private restoreDocs(docs: Extract<IndexPart, { part: "docs" }>["docs"]): void {
    for (const [shortId, id, lengths, stored] of docs) {
      this._documentIds.set(shortId, id);
      this._idToShortId.set(id, shortId);
      this._fieldLength.set(shortId, lengths);
      if (stored !== null) this._storedFields.set(shortId, stored);
    }
  }

  /** A term's postings may come in several parts: each adds to what the ones before brought. */
  private restoreTerms(terms: Extract<IndexPart, { part: "terms" }>["terms"]): void {
    for (const [term, data] of terms) {
      let fields = this._index.get(term);
      if (fields === undefined) {
        fields = new Map<number, Map<number, number>>();
        this._index.set(term, fields);
      }
      for (const [fieldId, frequencies] of Object.entries(data)) {
        let byDoc = fields.get(Number(fieldId));
        if (byDoc === undefined) {
          byDoc = new Map<number, number>();
          fields.set(Number(fieldId), byDoc);
        }
        for (const [shortId, frequency] of Object.entries(frequencies)) byDoc.set(Number(shortId), frequency);
      }
    }
  }
}

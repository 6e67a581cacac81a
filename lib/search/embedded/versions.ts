import type { SearchType } from "../search-index";
import { compareVersions } from "../index-ops";

export interface Tombstone {
  version: string;
  /** When the deletion was applied, epoch milliseconds. */
  at: number;
}

/**
 * The versions one generation holds for the documents of one type: that of each live document, and that of each
 * deletion (a tombstone) for as long as `tombstoneMs`, so that a put arriving late cannot bring a deleted document
 * back. Tombstones sit in a Map in the order they were made, so the expired ones are always at its start.
 */
export class VersionBook {
  readonly live = new Map<string, string>();
  readonly tombstones = new Map<string, Tombstone>();

  /** The version held for a document, live or deleted; undefined when there is none. */
  held(id: string): string | undefined {
    return this.live.get(id) ?? this.tombstones.get(id)?.version;
  }

  /** True when an op of `version` is newer than what is held, and so applies. */
  isNewer(id: string, version: string): boolean {
    const held = this.held(id);
    return held === undefined || compareVersions(version, held) > 0;
  }

  put(id: string, version: string): void {
    this.tombstones.delete(id);
    this.live.set(id, version);
  }

  delete(id: string, version: string, at: number): void {
    this.live.delete(id);
    // Deleted and set again, so that it moves to the end: the Map stays in order of `at`.
    this.tombstones.delete(id);
    this.tombstones.set(id, { version, at });
  }

  /** Forgets the tombstones made before `before`. */
  prune(before: number): void {
    for (const [id, tombstone] of this.tombstones) {
      if (tombstone.at >= before) break;
      this.tombstones.delete(id);
    }
  }

  /** The book in parts of at most `size` versions each, made as they are asked for (see ChunkedMiniSearch). */
  *parts(size: number): Generator<VersionBookJson> {
    let part: VersionBookJson = { live: [], tombstones: [] };
    const full = () => part.live.length + part.tombstones.length >= size;
    for (const entry of this.live) {
      part.live.push(entry);
      if (full()) {
        yield part;
        part = { live: [], tombstones: [] };
      }
    }
    for (const [id, { version, at }] of this.tombstones) {
      part.tombstones.push([id, version, at]);
      if (full()) {
        yield part;
        part = { live: [], tombstones: [] };
      }
    }
    if (part.live.length + part.tombstones.length > 0) yield part;
  }

  /** A book from its JSON, whole or in the parts `parts` made (in their order: tombstones stay in order of `at`). */
  static fromJSON(...parts: VersionBookJson[]): VersionBook {
    const book = new VersionBook();
    for (const json of parts) {
      for (const [id, version] of json.live) book.live.set(id, version);
      for (const [id, version, at] of json.tombstones) book.tombstones.set(id, { version, at });
    }
    return book;
  }
}

export interface VersionBookJson {
  live: [string, string][];
  tombstones: [string, string, number][];
}

export type VersionBooks = Record<SearchType, VersionBook>;

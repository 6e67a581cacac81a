import type { SearchType } from "../search-index";

/** 2^63 - 1: a version is below 2^63, so it is at most this (19 digits). */
const MAX_VERSION = "9223372036854775807";
const VERSION = /^[1-9][0-9]{0,18}$/;

export function isVersion(value: unknown): value is string {
  return (
    typeof value === "string" &&
    VERSION.test(value) &&
    (value.length < MAX_VERSION.length || value <= MAX_VERSION)
  );
}

/**
 * Compares two versions (canonical decimal strings, no leading zeros) as numbers, without BigInt: a longer
 * string is a larger number, and strings of one length compare as their digits do. Versions are Snowflake ids,
 * far past 2^53, where Number would call two neighbours equal.
 */
export function compareVersions(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

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

  toJSON(): VersionBookJson {
    return {
      live: [...this.live],
      tombstones: [...this.tombstones].map(([id, { version, at }]) => [id, version, at]),
    };
  }

  static fromJSON(json: VersionBookJson): VersionBook {
    const book = new VersionBook();
    for (const [id, version] of json.live) book.live.set(id, version);
    for (const [id, version, at] of json.tombstones) book.tombstones.set(id, { version, at });
    return book;
  }
}

export interface VersionBookJson {
  live: [string, string][];
  tombstones: [string, string, number][];
}

export type VersionBooks = Record<SearchType, VersionBook>;

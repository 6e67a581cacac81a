import { randomBytes } from "node:crypto";
import type { z } from "zod";
import type { WideRowStore } from "../store/store";
import { discoveryCurrent, discoveryLeases, discoverySnapshots } from "./tables";

/** Entries per stored chunk: a ranking of 1,000 posts is 10 rows of a few kilobytes each. */
const CHUNK = 100;

export interface Snapshot<T> {
  /** Names this ranking: a cursor that carries it pages the very same ranking. */
  generation: string;
  computedAt: number;
  entries: readonly T[];
}

/**
 * Rankings computed now and then (trending tags, explore), stored so that every node answers from the same one:
 * a generation's rows are written first and never changed, then the `current` row names it. Generations expire
 * (SNAPSHOT_TTL_SECONDS), so a cursor of one can be followed for hours, not forever.
 */
export class Snapshots {
  constructor(
    private readonly store: WideRowStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores a new generation and makes it the current one; answers it. */
  async save<T>(name: string, entries: readonly T[]): Promise<Snapshot<T>> {
    const computedAt = this.now();
    // The time it was computed, then a random part that keeps nodes apart.
    const generation = `${computedAt.toString(36)}_${randomBytes(6).toString("hex")}`;
    const chunks = Math.max(1, Math.ceil(entries.length / CHUNK));
    for (let chunk = 0; chunk < chunks; chunk++) {
      await this.store.put(discoverySnapshots, {
        name,
        generation,
        chunk,
        data: JSON.stringify(entries.slice(chunk * CHUNK, (chunk + 1) * CHUNK)),
      });
    }
    await this.store.put(discoveryCurrent, { name, generation, computed_at: new Date(computedAt) });
    return { generation, computedAt, entries };
  }

  /** The generation readers use now, if any was computed. */
  async current(name: string): Promise<{ generation: string; computedAt: number } | undefined> {
    const row = await this.store.get(discoveryCurrent, { name });
    if (row?.generation === undefined) return undefined;
    return { generation: row.generation, computedAt: row.computed_at?.getTime() ?? 0 };
  }

  /** A generation's entries, checked against `schema`; undefined once it expired (or if it never existed). */
  async load<S extends z.ZodType>(
    name: string,
    generation: string,
    schema: S,
  ): Promise<Snapshot<z.infer<S>> | undefined> {
    const computedAt = generationTime(generation);
    if (computedAt === undefined) return undefined;
    const entries: z.infer<S>[] = [];
    let found = false;
    let pageToken: string | undefined;
    do {
      const slice = await this.store.slice(
        discoverySnapshots,
        { name, generation },
        { limit: 100, ...(pageToken !== undefined && { pageToken }) },
      );
      for (const row of slice.rows) {
        found = true;
        const parsed = schema.array().safeParse(JSON.parse(row.data ?? "[]"));
        if (parsed.success) entries.push(...parsed.data);
      }
      pageToken = slice.nextPageToken;
    } while (pageToken !== undefined);
    return found ? { generation, computedAt, entries } : undefined;
  }

  /**
   * Whether this node computes the ranking this round: the first node to ask within `ttlSeconds` does, so a
   * cluster computes each ranking once per round, and a node that dies gives its turn up with the lease's TTL.
   */
  async claim(name: string, holder: string, ttlSeconds: number): Promise<boolean> {
    const taken = await this.store.insertIfAbsent(discoveryLeases, { name, holder }, { ttlSeconds });
    return taken.applied;
  }
}

/** When a generation was computed, read from its name; undefined for a string that is not a generation. */
export function generationTime(generation: string): number | undefined {
  const match = /^([0-9a-z]{1,11})_[0-9a-f]{12}$/.exec(generation);
  if (match?.[1] === undefined) return undefined;
  const ms = parseInt(match[1], 36);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

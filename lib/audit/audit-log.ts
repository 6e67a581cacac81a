import type { WideRowStore } from "../store";
import { auditLog } from "./tables";

/** The longest params summary kept: enough to recognise a call, never a whole uploaded text. */
const PARAMS_SUMMARY_CHARS = 200;

export interface AuditEntry {
  /** Who ran it: the OS user and the node of the console, e.g. `alice@console-1`. */
  operator: string;
  /** The console command, e.g. `act-as`. */
  command: string;
  /** The user acted for, by id. */
  targetUser: string;
  /** The action called, e.g. `posts.delete`. */
  action: string;
  params: unknown;
  /** `ok`, or `error: <message>`. */
  outcome: string;
}

export interface AuditRow extends Omit<AuditEntry, "params"> {
  id: string;
  at: string;
  params: string;
}

/** A day as the table's partition: 20261206 for 2026-12-06 (UTC). */
export function auditDay(at: number | Date): number {
  const iso = new Date(at).toISOString();
  return Number(iso.slice(0, 10).replaceAll("-", ""));
}

/** The day of `YYYY-MM-DD`, or undefined when it is not one. */
export function parseAuditDay(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const at = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== text ? undefined : auditDay(at);
}

/** JSON of the params, cut to a summary: the audit says what was done, it is no copy of the data. */
export function summariseParams(params: unknown): string {
  const text = JSON.stringify(params ?? {}) ?? "";
  return text.length > PARAMS_SUMMARY_CHARS ? `${text.slice(0, PARAMS_SUMMARY_CHARS - 1)}…` : text;
}

/** The operators' audit log (lib/audit/tables.ts): written by the users service for every console command. */
export class AuditLog {
  constructor(
    private readonly deps: { store: WideRowStore; ids: { next(): Promise<string> }; now: () => number },
  ) {}

  /**
   * Writes a row; given the id and time of one written before, writes over it (the same key): a command records
   * itself before it acts, then settles its row with the outcome.
   */
  async record(entry: AuditEntry, settles?: { id: string; at: string }): Promise<AuditRow> {
    const at = settles ? Date.parse(settles.at) : this.deps.now();
    const id = settles?.id ?? (await this.deps.ids.next());
    const params = summariseParams(entry.params);
    await this.deps.store.put(auditLog, {
      day: auditDay(at),
      audit_id: id,
      at: new Date(at),
      operator: entry.operator,
      command: entry.command,
      target_user: entry.targetUser,
      action: entry.action,
      params,
      outcome: entry.outcome,
    });
    return { ...entry, id, at: new Date(at).toISOString(), params };
  }

  /** The newest rows of one UTC day (today by default), newest first. */
  async read(options: { day?: number; limit?: number } = {}): Promise<AuditRow[]> {
    const day = options.day ?? auditDay(this.deps.now());
    const slice = await this.deps.store.slice(auditLog, { day }, { limit: options.limit ?? 20 });
    // Every column is written with each row; the store types value columns as optional all the same.
    return slice.rows.map((row) => ({
      id: row.audit_id,
      at: (row.at ?? new Date(0)).toISOString(),
      operator: row.operator ?? "",
      command: row.command ?? "",
      targetUser: row.target_user ?? "",
      action: row.action ?? "",
      params: row.params ?? "",
      outcome: row.outcome ?? "",
    }));
  }
}

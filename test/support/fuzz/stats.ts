import type { FuzzRequest } from "./requests";
import type { FuzzAnswer } from "./send";

interface OperationStats {
  requests: number;
  statuses: Map<number, number>;
  codes: Map<string, number>;
  /** Input kinds, without the field they were in: `path:nasty`, `body:missing-required`, `token:forged`. */
  kinds: Set<string>;
}

/** What the barrage sent and got, per operation: the coverage summary `npm run fuzz` prints. */
export class FuzzStats {
  private readonly byOperation = new Map<string, OperationStats>();
  private started = Date.now();

  /** Starts the clock (the barrage starts once its node is up, after every other suite loaded). */
  begin(): void {
    this.started = Date.now();
  }

  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  record(req: FuzzRequest, answer: FuzzAnswer): void {
    let stats = this.byOperation.get(req.op);
    if (stats === undefined) {
      stats = { requests: 0, statuses: new Map(), codes: new Map(), kinds: new Set() };
      this.byOperation.set(req.op, stats);
    }
    stats.requests++;
    stats.statuses.set(answer.status, (stats.statuses.get(answer.status) ?? 0) + 1);
    const code = codeOf(answer);
    if (code !== undefined) stats.codes.set(code, (stats.codes.get(code) ?? 0) + 1);
    for (const tag of req.tags) stats.kinds.add(kindOf(tag));
  }

  get requests(): number {
    let n = 0;
    for (const s of this.byOperation.values()) n += s.requests;
    return n;
  }

  /** Requests per status class over all operations: `2xx 120, 4xx 380`. */
  classes(): string {
    const classes = new Map<string, number>();
    for (const s of this.byOperation.values()) {
      for (const [status, n] of s.statuses) {
        const name = `${Math.floor(status / 100)}xx`;
        classes.set(name, (classes.get(name) ?? 0) + n);
      }
    }
    return [...classes]
      .sort()
      .map(([name, n]) => `${name} ${n}`)
      .join(", ");
  }

  /** One line per operation: requests, statuses, the most frequent error codes, the input kinds sent. */
  table(): string {
    const lines: string[] = [];
    for (const [op, s] of [...this.byOperation].sort(([a], [b]) => a.localeCompare(b))) {
      const statuses = [...s.statuses]
        .sort(([a], [b]) => a - b)
        .map(([st, n]) => `${st}×${n}`)
        .join(" ");
      const codes = [...s.codes]
        .sort(([, a], [, b]) => b - a)
        .slice(0, 6)
        .map(([c, n]) => `${c}×${n}`)
        .join(" ");
      lines.push(`  ${op}: ${s.requests} requests; ${statuses}; ${codes}`);
      lines.push(`      kinds (${s.kinds.size}): ${[...s.kinds].sort().join(" ")}`);
    }
    return lines.join("\n");
  }
}

function codeOf(answer: FuzzAnswer): string | undefined {
  if (answer.status < 400) return undefined;
  try {
    const parsed: unknown = JSON.parse(answer.body.toString("utf8"));
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      const error = parsed.error;
      if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
        return error.code;
      }
    }
  } catch {
    // not JSON: the checks report it
  }
  return undefined;
}

/** `path:id:nasty:raw` → `path:nasty:raw`, `body:caption:boundary` → `body:boundary`. */
function kindOf(tag: string): string {
  const parts = tag.split(":");
  if ((parts[0] === "path" || parts[0] === "query" || parts[0] === "body") && parts.length >= 3) {
    return [parts[0], ...parts.slice(2)].join(":");
  }
  return tag;
}

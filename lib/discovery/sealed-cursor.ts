import { createHash } from "node:crypto";
import { invalidCursor } from "../validation/page";

/**
 * api.md's opaque cursor for lists that are not bucketed store lists (a ranking's position): its kind, its parts
 * and a fingerprint of these with the reader, base64url. A cursor of another list, of another reader, or altered
 * is a 400 INVALID_CURSOR. As with BucketedList's cursors, the fingerprint is a consistency check, not a secret:
 * a forged cursor can only pick a position in a list the caller may read anyway.
 */
export class SealedCursor {
  constructor(
    private readonly kind: string,
    /** How many parts a cursor carries, and the shape of each. */
    private readonly parts: readonly RegExp[],
  ) {
    if (!/^[a-z][a-z0-9_]*$/.test(kind)) throw new Error(`cursor kind ${kind} is not snake_case`);
  }

  seal(reader: string, parts: readonly string[]): string {
    if (parts.length !== this.parts.length || parts.some((part, i) => !this.parts[i]?.test(part))) {
      throw new Error(`a ${this.kind} cursor has ${this.parts.length} parts of the declared shapes`);
    }
    const text = [this.kind, ...parts, this.fingerprint(reader, parts)].join(".");
    return Buffer.from(text, "utf8").toString("base64url");
  }

  /** The parts of a cursor this reader was handed; anything else is a 400 INVALID_CURSOR. */
  open(reader: string, cursor: string): string[] {
    const bytes = Buffer.from(cursor, "base64url");
    // Node's decoder skips characters it does not know; re-encoding catches them and altered padding bits.
    if (bytes.toString("base64url") !== cursor) throw invalidCursor();
    const [kind, ...rest] = bytes.toString("utf8").split(".");
    const fingerprint = rest.pop();
    if (kind !== this.kind || rest.length !== this.parts.length) throw invalidCursor();
    if (!rest.every((part, i) => this.parts[i]?.test(part) === true)) throw invalidCursor();
    if (fingerprint !== this.fingerprint(reader, rest)) throw invalidCursor();
    return rest;
  }

  private fingerprint(reader: string, parts: readonly string[]): string {
    return createHash("sha256")
      .update([this.kind, reader, ...parts].join("\n"))
      .digest("base64url")
      .slice(0, 12);
  }
}

import { BadRequestError } from "../errors";
import { isId } from "../ids";

/**
 * Cursors of the inbox's lists: the clustering key of the last row a page showed, tagged with the list it came
 * from. Keyed by value rather than by a store page token, so the first page can come from memory and rows
 * arriving meanwhile never shift a page. A forged cursor can only pick a position in the caller's own list.
 */
export function encodeCursor(list: string, ids: readonly string[]): string {
  return Buffer.from([list, ...ids].join(".")).toString("base64url");
}

/** The ids of a cursor of `list`; anything else is a 400. */
export function decodeCursor(list: string, cursor: string, count: number): string[] {
  const [tag, ...ids] = Buffer.from(cursor, "base64url").toString("utf8").split(".");
  if (tag !== list || ids.length !== count || !ids.every(isId)) {
    throw new BadRequestError("INVALID_CURSOR", "the cursor is not one this list handed out", {
      field: "cursor",
    });
  }
  return ids;
}

import { z } from "zod";

/** Lengths are counted in Unicode code points, as a person counts characters, not in UTF-16 units. */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// C0/C1 controls other than tab and newline never belong in a name, a bio or a caption.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Free text bounded in characters, trimmed, without control characters. */
export function boundedText(min: number, max: number) {
  return z
    .string()
    .trim()
    .refine((s) => !CONTROL.test(s), "must not contain control characters")
    .refine(
      (s) => codePoints(s) >= min,
      min === 1 ? "must not be empty" : `must be at least ${min} characters`,
    )
    .refine((s) => codePoints(s) <= max, `must be at most ${max} characters`);
}

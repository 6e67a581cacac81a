import { z } from "zod";

/** How long an archive stays downloadable, then the sweep deletes it (the seven days). */
export const EXPORT_KEEP_DAYS = 7;

export const EXPORT_STATES = ["queued", "running", "ready", "failed"] as const;
export type ExportState = (typeof EXPORT_STATES)[number];

const id = z
  .string()
  .regex(/^\d{1,20}$/)
  .describe("a Snowflake id, as a decimal string");
const time = z.string().describe("ISO-8601 UTC");

export const exportObject = z
  .object({
    id,
    state: z.enum(EXPORT_STATES),
    progress: z
      .object({
        done: z.number().int().describe("items and files written to the archive so far"),
        total: z
          .number()
          .int()
          .describe(
            "items and files found so far: it grows while the lists are read, and equals done when ready",
          ),
      })
      .describe("how far the archive is"),
    createdAt: time,
    readyAt: time.optional().describe("when the archive was finished"),
    expiresAt: time
      .optional()
      .describe(`when the archive is deleted (${EXPORT_KEEP_DAYS} days after readyAt)`),
    url: z
      .string()
      .optional()
      .describe("where to download the zip, signed and good until expiresAt; only when ready"),
    size: z.number().int().optional().describe("the zip's size in bytes; only when ready"),
  })
  .meta({ id: "Export" });

export type ExportView = z.infer<typeof exportObject>;

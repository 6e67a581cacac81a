import { z } from "zod";

/** One console command to record (lib/audit/audit-log.ts's AuditEntry). */
export const recordParams = z.strictObject({
  operator: z.string().min(1).max(200),
  command: z.string().min(1).max(50),
  targetUser: z.string().max(100),
  action: z.string().max(200),
  params: z.unknown(),
  outcome: z.string().max(500),
  /** Settles a row recorded before: its id and time (so the same day's partition) as that answer gave them. */
  id: z
    .string()
    .regex(/^\d{1,19}$/)
    .optional(),
  at: z.iso.datetime().optional(),
});

/** Which rows to read: a UTC day as yyyymmdd (today when absent) and how many. */
export const readParams = z.strictObject({
  day: z.number().int().min(19700101).max(99991231).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

export const auditRowObject = z.object({
  id: z.string(),
  at: z.string(),
  operator: z.string(),
  command: z.string(),
  targetUser: z.string(),
  action: z.string(),
  params: z.string(),
  outcome: z.string(),
});

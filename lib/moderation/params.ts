import { z } from "zod";
import { id } from "../validation/id";
import { pageParams } from "../validation/page";
import { boundedText } from "../validation/text";

/**
 * The shapes of reports and of the moderation queue: one schema each, read by the edge's validation, the
 * handlers' types and the OpenAPI document.
 */

/** What can be reported. A message only by the members of its conversation. */
export const REPORT_TARGETS = ["post", "comment", "story", "message", "account"] as const;
export type ReportTargetType = (typeof REPORT_TARGETS)[number];

/** Why, from a fixed list (Instagram's and Mastodon's categories, merged). */
export const REPORT_REASONS = [
  "spam",
  "nudity",
  "violence",
  "harassment",
  "hate",
  "self_harm",
  "scam",
  "false_information",
  "intellectual_property",
  "other",
] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

/** What a moderator may do with a case. */
export const MODERATION_ACTIONS = ["dismiss", "remove", "suspend"] as const;
export type ModerationAction = (typeof MODERATION_ACTIONS)[number];

/** What the reporters are told. */
export const REPORT_OUTCOMES = ["dismissed", "removed", "suspended"] as const;
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

export const MAX_REPORT_NOTE = 1_000;

export const reportParams = z
  .strictObject({
    type: z.enum(REPORT_TARGETS),
    id: id.describe("the post, comment, story or message; for an account, the user's id"),
    conversationId: id.optional().describe("the message's conversation (messages only)"),
    reason: z.enum(REPORT_REASONS),
    note: boundedText(0, MAX_REPORT_NOTE).optional(),
  })
  .superRefine((value, ctx) => {
    const needs = value.type === "message";
    if (needs !== (value.conversationId !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["conversationId"],
        message: needs ? "is required for a message" : "is only for a message",
      });
    }
  });
export type ReportInput = z.output<typeof reportParams>;

export const queueParams = z.strictObject(pageParams);
export const myReportsParams = z.strictObject(pageParams);

export const caseIdParams = z.strictObject({ id });

export const resolveParams = z
  .strictObject({
    id,
    action: z.enum(MODERATION_ACTIONS),
    reason: boundedText(1, 500).describe("why: kept with the case and in the audit log"),
    until: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("suspend only: when the suspension ends; absent: for good"),
  })
  .superRefine((value, ctx) => {
    if (value.until !== undefined && value.action !== "suspend") {
      ctx.addIssue({ code: "custom", path: ["until"], message: "is only for suspend" });
    }
  });
export type ResolveInput = z.output<typeof resolveParams>;

const time = z.string().describe("ISO-8601 UTC");

/** What the service owning a reported thing answers about it, as the reporter sees it. */
export const targetSnapshotObject = z.object({
  authorId: id,
  text: z.string().optional(),
  mediaIds: z.array(id),
});

export const messageRefParams = z.strictObject({ conversationId: id, id });
export const contentRefParams = z.strictObject({ id });

export const reportTargetObject = z
  .object({
    type: z.enum(REPORT_TARGETS),
    id,
    conversationId: id.optional(),
  })
  .meta({ id: "ReportTarget" });
export type ReportTarget = z.infer<typeof reportTargetObject>;

export const reportObject = z
  .object({
    id,
    target: reportTargetObject,
    reason: z.enum(REPORT_REASONS),
    note: z.string().nullable(),
    status: z.enum(["open", "resolved"]),
    outcome: z.enum(REPORT_OUTCOMES).nullable().describe("how it ended, once resolved"),
    createdAt: time,
  })
  .meta({ id: "Report" });
export type ReportView = z.infer<typeof reportObject>;

const accountRef = z.object({ id, username: z.string() });

export const reportCaseObject = z
  .object({
    id,
    target: reportTargetObject,
    author: accountRef.nullable().describe("whom the target belongs to (the account itself for an account)"),
    status: z.enum(["open", "resolved"]),
    reporters: z.number().int().describe("distinct accounts that reported it"),
    reasons: z.record(z.string(), z.number().int()).describe("how many reporters gave each reason"),
    openedAt: time,
    content: z
      .object({ text: z.string().nullable(), mediaIds: z.array(id) })
      .describe("what was reported, as it was when first reported"),
    resolution: z
      .object({
        action: z.enum(MODERATION_ACTIONS),
        reason: z.string(),
        by: accountRef.nullable().describe("the moderator; null when the operator's console decided"),
        at: time,
        until: time.nullable().describe("suspend only: when it ends; null: for good"),
      })
      .nullable(),
  })
  .meta({ id: "ReportCase" });
export type ReportCaseView = z.infer<typeof reportCaseObject>;

export const reportCaseDetailObject = reportCaseObject
  .extend({
    reports: z
      .array(
        z.object({
          reporter: accountRef,
          reason: z.enum(REPORT_REASONS),
          note: z.string().nullable(),
          createdAt: time,
        }),
      )
      .describe("oldest first, at most 100"),
  })
  .meta({ id: "ReportCaseDetail" });
export type ReportCaseDetail = z.infer<typeof reportCaseDetailObject>;

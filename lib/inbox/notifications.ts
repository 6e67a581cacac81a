import { NotFoundError } from "../errors";
import { compareIds } from "../ids";
import type { Row } from "../store/schema";
import type { StreamEvent } from "../stream/events";
import type { InboxDeps, Page, PageRequest } from "./deps";
import type { ActorMemory } from "../concurrency/actor-memory";
import { NOTIFICATION_TYPES, type ReportOutcomeView } from "../contracts/objects";
import { REPORT_OUTCOMES, REPORT_TARGETS } from "../moderation/params";
import type { NotificationInput } from "../contracts/ports";
import type { StreamLog } from "./stream-log";
import {
  notificationKeys,
  notificationReads,
  notifications,
  notificationsByActor,
  userNotifications,
} from "./tables";
import { present, Views, type NotificationRecord, type NotificationView } from "./views";

/** Newest notifications kept in memory per user: enough for the first page and the unread badge. */
export const NOTIFICATION_WINDOW = 50;
/** Unread notifications are counted exactly up to this many; past it the badge says this many. */
export const UNREAD_COUNT_CAP = 1000;

/** Most notifications of one recipient written together. */
const MAX_BATCH = 256;

interface Queued {
  input: NotificationInput;
  key: string;
  resolve: () => void;
  reject: (reason: unknown) => void;
}

interface Written {
  record: NotificationRecord;
  view: NotificationView | undefined;
  event: StreamEvent | undefined;
}

/** What the owner of a user's inbox keeps of their notifications. */
export interface NotificationState {
  /** Everything up to and including this id is read. */
  readUpTo: string | undefined;
  /** Notifications newer than `readUpTo`, at most UNREAD_COUNT_CAP. */
  unread: number;
  /** The newest notifications, newest first. */
  recent: NotificationRecord[];
  /** True when `recent` holds every stored notification. */
  whole: boolean;
}

/**
 * The notification half of each user's inbox actor: once per action, stored newest first, counted unread
 * against a read marker, pushed to the recipient's streams and logged for replay. Every write of a user runs
 * in their mailbox on the owner node.
 */
export class Notifications {
  /** Notifications waiting for their recipient's mailbox, by recipient. */
  private readonly queued = new Map<string, Queued[]>();

  constructor(
    private readonly deps: InboxDeps,
    private readonly inboxes: ActorMemory<NotificationState>,
    private readonly streamLog: StreamLog,
  ) {}

  async notify(input: NotificationInput): Promise<void> {
    const recipientId = input.recipientId;
    // One's own act is no news; the outcome of one's own report is (it names the reporter as its actor).
    if (input.actorId === recipientId && input.type !== "report_resolved") return;
    // A muted account notifies of nothing while the mute lasts, and nothing is kept to show after it.
    if ((await this.deps.graph.mutes.of(recipientId, input.actorId)) !== undefined) return;
    // Also says no to an actor the recipient blocks or is blocked by: neither learns of the other.
    if ((await new Views(this.deps, recipientId).user(input.actorId)) === undefined) return;
    return new Promise<void>((resolve, reject) => {
      const entry: Queued = { input, key: actionKeyOf(input), resolve, reject };
      const waiting = this.queued.get(recipientId);
      if (waiting !== undefined) {
        waiting.push(entry);
        return;
      }
      this.queued.set(recipientId, [entry]);
      this.scheduleWrite(recipientId);
    });
  }

  private scheduleWrite(recipientId: string): void {
    this.inboxes.run(recipientId, () => this.writeQueued(recipientId)).catch(() => undefined);
  }

  /**
   * Writes the recipient's queued notifications in their mailbox, all of them at once: each runs its own writes in
   * their order (claim, the actor's index, the row), and their stream events are logged in one write and published
   * in the order of their ids. One at a time, a post liked by many waited on its author's mailbox, four store
   * round trips per like, and its likes with it (`bench:likes`).
   */
  private async writeQueued(recipientId: string): Promise<void> {
    const all = this.queued.get(recipientId) ?? [];
    const batch = all.splice(0, MAX_BATCH);
    // Those left, and those queued from now on, go in the next write, behind this one in the mailbox.
    if (all.length === 0) this.queued.delete(recipientId);
    else this.scheduleWrite(recipientId);
    // The same action twice in one batch is written once: concurrent claims of one key would both succeed.
    const byKey = new Map<string, [Queued, ...Queued[]]>();
    for (const entry of batch) {
      const same = byKey.get(entry.key);
      if (same === undefined) byKey.set(entry.key, [entry]);
      else same.push(entry);
    }
    const groups = [...byKey.values()];
    try {
      const views = new Views(this.deps, recipientId);
      const outcomes = await Promise.allSettled(
        groups.map(([first]) => this.writeOne(recipientId, first, views)),
      );
      const written = outcomes
        .flatMap((o) => (o.status === "fulfilled" && o.value !== undefined ? [o.value] : []))
        .sort((a, b) => compareIds(a.record.id, b.record.id));
      const events = written.flatMap((w) => (w.event === undefined ? [] : [w.event]));
      if (events.length > 0) await this.streamLog.appendAll(recipientId, events);
      this.rememberWritten(recipientId, written);
      groups.forEach((entries, i) => {
        const outcome = outcomes[i];
        for (const entry of entries) {
          if (outcome?.status === "rejected") entry.reject(outcome.reason);
          else entry.resolve();
        }
      });
    } catch (err: unknown) {
      // The events' log failed: what was written stays, as after a crash before the log was written.
      for (const entries of groups) for (const entry of entries) entry.reject(err);
    }
  }

  /** One notification's claim and rows; undefined when it was recorded before. */
  private async writeOne(
    recipientId: string,
    { input, key }: Queued,
    views: Views,
  ): Promise<Written | undefined> {
    const { store, ids } = this.deps;
    const id = await ids.next();
    const claim = await store.insertIfAbsent(notificationKeys, {
      user_id: recipientId,
      action_key: key,
      notification_id: id,
    });
    if (!claim.applied) {
      const earlier = claim.existing.notification_id;
      const recorded = earlier !== undefined && (await this.stored(recipientId, earlier)) !== undefined;
      if (recorded) return undefined;
      // A notify cut short after its claim: finish it now, under a new id so the stream stays in order.
      const retaken = await store.updateIf(
        notificationKeys,
        { user_id: recipientId, action_key: key, notification_id: id },
        earlier === undefined ? {} : { notification_id: earlier },
      );
      if (!retaken) return undefined;
    }
    const record: NotificationRecord = {
      id,
      type: input.type,
      actorId: input.actorId,
      ...(input.postId !== undefined && { postId: input.postId }),
      ...(input.commentId !== undefined && { commentId: input.commentId }),
      ...(input.report !== undefined && { report: input.report }),
      createdAt: new Date(this.deps.now()),
    };
    // The actor's index first: a crash in between leaves an entry naming nothing, never a notification an
    // erasure of the actor cannot find.
    if (input.actorId !== recipientId) {
      await store.put(notificationsByActor, {
        actor_id: input.actorId,
        notification_id: id,
        recipient_id: recipientId,
        action_key: key,
      });
    }
    await store.put(notifications, {
      ...(await userNotifications.writePartition(store, recipientId, id)),
      ...toRow(record),
    });
    const view = await views.notification(record, false);
    return { record, view, event: view && { id, event: "notification", data: view } };
  }

  /** In the mailbox, once the batch's events are logged: memory, then the streams and pushes, in id order. */
  private rememberWritten(recipientId: string, written: readonly Written[]): void {
    if (written.length === 0) return;
    const hot = this.inboxes.peek(recipientId);
    if (hot) {
      const fresh = written.map((w) => w.record).reverse();
      this.inboxes.remember(recipientId, {
        ...hot,
        unread: Math.min(hot.unread + fresh.length, UNREAD_COUNT_CAP),
        recent: [...fresh, ...hot.recent].slice(0, NOTIFICATION_WINDOW),
        whole: hot.whole && hot.recent.length + fresh.length <= NOTIFICATION_WINDOW,
      });
    }
    for (const { event, view } of written) {
      if (event) this.deps.publish([recipientId], event);
      // Never failing the notification: a push only announces what is stored.
      if (view) void this.deps.push?.notification(recipientId, view);
    }
  }

  async list(userId: string, page: PageRequest): Promise<Page<NotificationView>> {
    const before =
      page.cursor === undefined ? undefined : userNotifications.openCursor(userId, page.cursor)[0];
    const state = await this.load(userId);
    const cached = state.recent.filter((r) => before === undefined || compareIds(r.id, before) < 0);
    let records: NotificationRecord[];
    let more: boolean;
    if (cached.length >= page.limit || state.whole) {
      records = cached.slice(0, page.limit);
      more = cached.length > page.limit || !state.whole;
    } else {
      // Past the window kept in memory: read the rows themselves.
      const slice = await userNotifications.walk(this.deps.store, userId, {
        ...(before !== undefined && { after: [before] as const }),
        limit: page.limit,
      });
      records = present(slice.rows.map(fromRow));
      more = slice.more;
    }
    const views = new Views(this.deps, userId);
    const items = await Promise.all(records.map((r) => views.notification(r, isRead(r.id, state.readUpTo))));
    const last = records[records.length - 1];
    return {
      items: present(items),
      nextCursor: more && last ? userNotifications.cursorAt(userId, [last.id]) : null,
    };
  }

  async unreadCount(userId: string): Promise<number> {
    return (await this.load(userId)).unread;
  }

  /** Marks read everything up to `upToId` inclusive, or everything there is; a marker never moves back. */
  async markRead(userId: string, upToId: string | undefined): Promise<void> {
    // An id that names none of the caller's notifications is a mistake (someone else's, or made up): say so
    // rather than move the marker to wherever that id happens to sort.
    if (upToId !== undefined && !(await this.has(userId, upToId))) {
      throw new NotFoundError("NOTIFICATION_NOT_FOUND", "upToId names no notification of yours", {
        field: "upToId",
      });
    }
    await this.inboxes.run(userId, async () => {
      const hot = this.inboxes.peek(userId);
      const [newest, marker] = hot
        ? [hot.recent[0]?.id, hot.readUpTo]
        : await Promise.all([this.newestId(userId), this.storedMarker(userId)]);
      if (newest === undefined) return;
      // An id from the future would mark notifications read before they exist.
      const target = upToId === undefined || compareIds(upToId, newest) > 0 ? newest : upToId;
      if (marker !== undefined && compareIds(target, marker) <= 0) return;
      await this.deps.store.put(notificationReads, { user_id: userId, read_up_to: target });
      if (!hot) return;
      const unread =
        target === newest
          ? 0
          : hot.unread <= hot.recent.length
            ? hot.recent.filter((r) => !isRead(r.id, target)).length
            : await this.countAfter(userId, target);
      this.inboxes.remember(userId, { ...hot, readUpTo: target, unread });
    });
  }

  private async has(userId: string, notificationId: string): Promise<boolean> {
    if (this.inboxes.peek(userId)?.recent.some((r) => r.id === notificationId) === true) return true;
    return (await this.stored(userId, notificationId)) !== undefined;
  }

  private stored(userId: string, notificationId: string) {
    return this.deps.store.get(notifications, {
      ...userNotifications.partitionOf(userId, notificationId),
      notification_id: notificationId,
    });
  }

  private load(userId: string): Promise<NotificationState> {
    return this.inboxes.load(userId, () => this.rebuild(userId));
  }

  private async rebuild(userId: string): Promise<NotificationState> {
    const [readUpTo, slice] = await Promise.all([
      this.storedMarker(userId),
      userNotifications.walk(this.deps.store, userId, { limit: NOTIFICATION_WINDOW }),
    ]);
    const recent = present(slice.rows.map(fromRow));
    const whole = !slice.more;
    const unreadInWindow = recent.filter((r) => !isRead(r.id, readUpTo)).length;
    // Only when every notification in the window is unread can there be more beyond it.
    const unread =
      whole || unreadInWindow < slice.rows.length ? unreadInWindow : await this.countAfter(userId, readUpTo);
    return { readUpTo, unread, recent, whole };
  }

  private async countAfter(userId: string, marker: string | undefined): Promise<number> {
    const rows = await userNotifications.first(this.deps.store, userId, {
      ...(marker !== undefined && { until: [marker] as const }),
      limit: UNREAD_COUNT_CAP,
    });
    return rows.length;
  }

  private async newestId(userId: string): Promise<string | undefined> {
    const [row] = await userNotifications.first(this.deps.store, userId, { limit: 1 });
    return row?.notification_id;
  }

  private async storedMarker(userId: string): Promise<string | undefined> {
    return (await this.deps.store.get(notificationReads, { user_id: userId }))?.read_up_to;
  }
}

/**
 * What makes two notifications the same action: the same like of a post (or comment), the same follow, the same
 * mention in a post or comment, the same comment. Unlike-and-like-again is the same action.
 */
export function actionKeyOf(input: NotificationInput): string {
  const object = input.report?.id ?? input.commentId ?? input.postId ?? "account";
  return `${input.type}:${object}:${input.actorId}`;
}

/** The action key a stored notification was claimed under (its recipient's, from its own columns). */
export function actionKeyOfRow(row: Row<typeof notifications>): string | undefined {
  const record = fromRow(row);
  return (
    record &&
    actionKeyOf({
      recipientId: row.user_id,
      type: record.type,
      actorId: record.actorId,
      ...(record.postId !== undefined && { postId: record.postId }),
      ...(record.commentId !== undefined && { commentId: record.commentId }),
      ...(record.report !== undefined && { report: record.report }),
    })
  );
}

function isRead(id: string, marker: string | undefined): boolean {
  return marker !== undefined && compareIds(id, marker) <= 0;
}

function toRow(record: NotificationRecord) {
  return {
    notification_id: record.id,
    kind: record.type,
    actor_id: record.actorId,
    ...(record.postId !== undefined && { post_id: record.postId }),
    ...(record.commentId !== undefined && { comment_id: record.commentId }),
    ...(record.report !== undefined && {
      report_id: record.report.id,
      report_target: record.report.targetType,
      report_outcome: record.report.outcome,
    }),
    created_at: record.createdAt,
  };
}

function fromRow(row: Row<typeof notifications>): NotificationRecord | undefined {
  const type = NOTIFICATION_TYPES.find((t) => t === row.kind);
  if (type === undefined || row.actor_id === undefined) return undefined;
  const report = reportOf(row);
  return {
    id: row.notification_id,
    type,
    actorId: row.actor_id,
    ...(row.post_id !== undefined && { postId: row.post_id }),
    ...(row.comment_id !== undefined && { commentId: row.comment_id }),
    ...(report !== undefined && { report }),
    createdAt: row.created_at ?? new Date(0),
  };
}

function reportOf(row: Row<typeof notifications>): ReportOutcomeView | undefined {
  const targetType = REPORT_TARGETS.find((t) => t === row.report_target);
  const outcome = REPORT_OUTCOMES.find((o) => o === row.report_outcome);
  if (row.report_id === undefined || targetType === undefined || outcome === undefined) return undefined;
  return { id: row.report_id, targetType, outcome };
}

/**
 * What the rest of Mosaic needs of the inbox, as ports: producers of notifications (graph, posts, interactions)
 * and of shared posts (interactions) depend on these, never on the inbox service itself, which may run on
 * another node. The node binds them to the broker (calls to the recipient's inbox owner).
 */

import type { NotificationType, ReportOutcomeView } from "./objects";

export interface NotificationInput {
  /** Who gets it. Producers need not filter themselves out: the inbox never notifies an actor of their own act. */
  recipientId: string;
  type: NotificationType;
  actorId: string;
  postId?: string;
  commentId?: string;
  /** report_resolved only: which case, and how it ended. */
  report?: ReportOutcomeView;
}

export interface Notifier {
  /**
   * Records a notification in the recipient's inbox (once per action: the same like, follow or mention sent
   * again, say after an unlike and a like, is not recorded twice) and pushes it to their open streams.
   */
  notify(input: NotificationInput): Promise<void>;
}

export interface Messenger {
  /** Sends the post as a message from `senderId` to each recipient, in their two-member conversation. */
  sharePost(senderId: string, recipientIds: readonly string[], postId: string): Promise<void>;
}

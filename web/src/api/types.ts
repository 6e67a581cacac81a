/**
 * The objects of the REST contract, from the server's own schemas (lib/contracts/objects.ts): one source of truth
 * for what the API answers. Type-only imports: none of the server's code reaches the bundle.
 */
import type { UserView } from "../../../lib/contracts/objects";

export type {
  CommentView,
  ConversationView,
  MediaView,
  MessageView,
  MutedUserView,
  MuteView,
  NotificationType,
  NotificationView,
  PostView,
  SessionView,
  Relationship,
  StoryGroup,
  StoryView,
  TagView,
  UserView,
} from "../../../lib/contracts/objects";

export type { PostInsights } from "../../../lib/views/params";
export type { PushKind } from "../../../lib/push/params";
export type {
  ModerationAction,
  ReportCaseDetail,
  ReportCaseView,
  ReportReason,
  ReportTarget,
} from "../../../lib/moderation/params";

/** A page of a list: `?limit=&cursor=` in, this out. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `POST /api/auth/signup` and `/login`. */
export interface SignedIn {
  user: UserView;
  token: string;
}

/** `POST /api/auth/signup` when EMAIL_VERIFICATION=required: no session until the mailed link is followed. */
export interface VerificationPending {
  user: UserView;
  emailVerification: "required";
}

/** `POST /api/uploads`: a resumable upload, sent in parts of `partSize` bytes. */
export interface UploadSession {
  id: string;
  partSize: number;
  partCount: number;
}

/** `GET /api/uploads/:id`. */
export interface UploadState {
  id: string;
  receivedParts: number[];
  complete: boolean;
}

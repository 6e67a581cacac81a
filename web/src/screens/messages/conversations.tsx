import { useEffect, useRef, useState } from "preact/hooks";
import type { JSX } from "preact";
import { api, page } from "../../api/client";
import { session } from "../../api/session";
import { onStream } from "../../api/stream";
import type { ConversationView, MessageView, UserView } from "../../api/types";
import { Avatar } from "../../components/avatar";
import { ErrorBanner } from "../../components/error-banner";
import { PagedFooter, usePaged } from "../../components/paged-list";
import { Link, navigate } from "../../router";
import { parseUsernames } from "../../text";
import { openConversationId } from "../../state/badges";
import { TimeAgo } from "../../components/time";
import "../../styles/messages.css";

export type Conversations = ReturnType<typeof useConversations>;

/** The members other than the signed-in person (all of them in a conversation with oneself). */
export function othersOf(
  conversation: Pick<ConversationView, "members">,
  meId: string | undefined,
): UserView[] {
  const others = conversation.members.filter((m) => m.id !== meId);
  return others.length > 0 ? others : conversation.members;
}

export function namesOf(users: Pick<UserView, "username">[]): string {
  return users.map((u) => u.username).join(", ");
}

/**
 * The conversation list, most recent first, kept live: a message moves its conversation to the top and counts
 * as unread unless it is the signed-in person's own or its thread is open.
 */
export function useConversations() {
  const state = usePaged<ConversationView>((cursor) => page("/conversations", cursor), []);
  const known = useRef(state.items);
  known.current = state.items;

  useEffect(
    () =>
      onStream("message", (message) => {
        if (!known.current.some((c) => c.id === message.conversationId)) {
          // A conversation this list has not seen (new, or on a later page): its members come with the list.
          state.reload();
          return;
        }
        state.setItems((old) => moveToTop(old, message, session.peek()?.me.id));
      }),
    [],
  );

  return {
    ...state,
    /** Its messages were read: no unread count any more. */
    markRead: (id: string) =>
      state.setItems((old) =>
        old.map((c) => (c.id === id && c.unreadCount > 0 ? { ...c, unreadCount: 0 } : c)),
      ),
    /** A conversation just opened or started: at the top if the list does not have it yet. */
    add: (conversation: ConversationView) =>
      state.setItems((old) => (old.some((c) => c.id === conversation.id) ? old : [conversation, ...old])),
    /** A message the person sent from this page. */
    sent: (message: MessageView) => state.setItems((old) => moveToTop(old, message, message.sender.id)),
  };
}

function moveToTop(
  list: ConversationView[],
  message: MessageView,
  meId: string | undefined,
): ConversationView[] {
  const at = list.findIndex((c) => c.id === message.conversationId);
  const found = list[at];
  if (!found || found.lastMessage?.id === message.id) return list;
  const unread = message.sender.id !== meId && openConversationId.peek() !== message.conversationId;
  const updated = { ...found, lastMessage: message, unreadCount: found.unreadCount + (unread ? 1 : 0) };
  return [updated, ...list.slice(0, at), ...list.slice(at + 1)];
}

/** The list pane: starting a conversation, then the conversations. */
export function ConversationList(props: { conversations: Conversations; activeId?: string | undefined }) {
  const { conversations } = props;
  const meId = session.value?.me.id;
  return (
    <section class="dm-list" aria-labelledby="dm-list-heading">
      <h2 id="dm-list-heading" class="visually-hidden">
        Conversations
      </h2>
      <NewMessageForm onStarted={conversations.add} />
      <ul class="dm-conversations">
        {conversations.items.map((c) => (
          <ConversationItem key={c.id} conversation={c} meId={meId} active={c.id === props.activeId} />
        ))}
      </ul>
      <PagedFooter state={conversations} empty="No conversations yet: start one above." />
    </section>
  );
}

function ConversationItem(props: {
  conversation: ConversationView;
  meId: string | undefined;
  active: boolean;
}) {
  const c = props.conversation;
  const others = othersOf(c, props.meId);
  // Everyone else left by erasing their account: the conversation and its messages stay.
  const names = others.length > 0 ? namesOf(others) : "Deleted account";
  const first = others[0];
  const previewId = `dm-preview-${c.id}`;
  return (
    <li class={`dm-conversation ${props.active ? "dm-conversation-active" : ""}`}>
      {first && <Avatar user={first} />}
      <span class="dm-conversation-text">
        {/* Named by the usernames alone; the rest of the row is its description (and its click target). */}
        <Link
          href={`/messages/${c.id}`}
          class="dm-conversation-link"
          aria-describedby={previewId}
          aria-current={props.active ? "page" : undefined}
        >
          {names}
        </Link>
        <span id={previewId} class="dm-conversation-preview">
          {props.active
            ? subtitleOf(others)
            : c.lastMessage
              ? previewOf(c.lastMessage, props.meId)
              : "No messages yet"}
          {c.unreadCount > 0 && <span class="visually-hidden">, {c.unreadCount} unread</span>}
        </span>
      </span>
      {c.lastMessage && <TimeAgo iso={c.lastMessage.createdAt} class="dm-conversation-time" short />}
      {c.unreadCount > 0 && (
        <span class="badge" aria-hidden="true">
          {c.unreadCount > 99 ? "99+" : c.unreadCount}
        </span>
      )}
    </li>
  );
}

/**
 * The open conversation's row does not repeat its last message: the thread beside it shows it, and a message's
 * text in two places on one screen makes it ambiguous which one a search or a screen reader's "find" lands on.
 */
function subtitleOf(others: UserView[]): string {
  const only = others.length === 1 ? others[0] : undefined;
  if (only) return only.displayName || "Direct message";
  return `${others.length} people`;
}

function previewOf(message: MessageView, meId: string | undefined): string {
  const who = message.sender.id === meId ? "You: " : "";
  if (message.text) return who + message.text;
  if (message.media) return `${who}sent a ${message.media.type === "video" ? "video" : "photo"}`;
  if (message.postId !== undefined) return `${who}shared a post`;
  return who + "…";
}

/** "To (usernames)": opens the conversation with them (the existing one if there is one) and goes there. */
function NewMessageForm(props: { onStarted: (c: ConversationView) => void }) {
  const [to, setTo] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [hint, setHint] = useState<string | null>(null);

  const submit = async (event: JSX.TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    const usernames = parseUsernames(to);
    setError(null);
    if (usernames.length === 0) return setHint("Type one or more usernames, separated by commas.");
    setHint(null);
    setBusy(true);
    try {
      const conversation = await api<ConversationView>("POST", "/conversations", { body: { usernames } });
      setTo("");
      props.onStarted(conversation);
      navigate(`/messages/${conversation.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="dm-new card" onSubmit={(e) => void submit(e)} aria-labelledby="dm-new-heading">
      <h3 id="dm-new-heading" class="dm-new-heading">
        New message
      </h3>
      <div class="dm-new-row">
        <label for="dm-new-to">To (usernames)</label>
        <input
          id="dm-new-to"
          value={to}
          onInput={(e) => setTo(e.currentTarget.value)}
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          placeholder="alice, bob"
          aria-describedby={hint ? "dm-new-hint" : undefined}
        />
        <button type="submit" disabled={busy}>
          Start
        </button>
      </div>
      {hint && (
        <p id="dm-new-hint" class="muted" role="status">
          {hint}
        </p>
      )}
      <ErrorBanner error={error} />
    </form>
  );
}

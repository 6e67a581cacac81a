import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api, page } from "../../api/client";
import { session } from "../../api/session";
import { onStream } from "../../api/stream";
import type { ConversationView, MessageView, UserView } from "../../api/types";
import { ErrorBanner } from "../../components/error-banner";
import { usePaged } from "../../components/paged-list";
import { Link } from "../../router";
import { openConversationId, refreshBadges } from "../../state/badges";
import { Composer } from "./composer";
import { namesOf, othersOf } from "./conversations";
import { MessageItem, sameRun } from "./message-item";

/** How close to the end counts as "at the bottom": new messages and late images keep the view there. */
const STICK_PX = 80;

/**
 * One conversation: the messages oldest at the top and newest at the bottom ("Load older" above them), new ones
 * arriving live, and the composer. Opening it, and each message arriving while it is open, reads it.
 */
export function Thread(props: {
  conversationId: string;
  conversation: ConversationView | undefined;
  onRead: (id: string) => void;
  onSent: (m: MessageView) => void;
}) {
  const { conversationId: id } = props;
  const me = session.value?.me;
  const state = usePaged<MessageView>((cursor) => page(`/conversations/${id}/messages`, cursor, 30), [id]);
  const { items, setItems } = state;
  const [readError, setReadError] = useState<unknown>(null);

  const markRead = useCallback(() => {
    api("POST", `/conversations/${id}/read`).then(
      () => {
        props.onRead(id);
        return refreshBadges();
      },
      (err: unknown) => setReadError(err),
    );
  }, [id]);

  useEffect(() => {
    openConversationId.value = id;
    setReadError(null);
    markRead();
    const stop = onStream("message", (m) => {
      if (m.conversationId !== id) return;
      setItems((old) => (old.some((o) => o.id === m.id) ? old : [m, ...old]));
      if (m.sender.id !== session.peek()?.me.id) markRead();
    });
    return () => {
      stop();
      if (openConversationId.peek() === id) openConversationId.value = null;
    };
  }, [id]);

  const add = (m: MessageView) => {
    setItems((old) => (old.some((o) => o.id === m.id) ? old : [m, ...old]));
    props.onSent(m);
  };

  const scroller = useScrollKeeper(items);
  const oldestFirst = [...items].reverse();
  const others = props.conversation ? othersOf(props.conversation, me?.id) : sendersOf(items, me?.id);
  const title = others.length > 0 ? namesOf(others) : "Conversation";
  const single = others.length === 1 ? others[0] : undefined;

  return (
    <section class="dm-thread" aria-labelledby="dm-thread-heading">
      <header class="dm-thread-head">
        <Link href="/messages" class="dm-back">
          <span aria-hidden="true">‹ </span>All conversations
        </Link>
        <h2 id="dm-thread-heading">
          {single ? <Link href={`/u/${encodeURIComponent(single.username)}`}>{title}</Link> : title}
        </h2>
      </header>
      <div class="dm-scroll" ref={scroller} tabIndex={0} role="region" aria-label={`Messages with ${title}`}>
        <div class="dm-older">
          {!state.done && !state.loading && state.error === null && (
            <button type="button" class="secondary" onClick={state.more}>
              Load older
            </button>
          )}
          {state.loading && (
            <p class="muted" role="status">
              Loading…
            </p>
          )}
          <ErrorBanner error={state.error} onRetry={state.more} />
          {state.done && state.error === null && items.length === 0 && (
            <p class="muted">No messages yet: say hello.</p>
          )}
        </div>
        <ul class="dm-messages" aria-live="polite" aria-relevant="additions">
          {oldestFirst.map((m, i) => (
            <MessageItem
              key={m.id}
              message={m}
              mine={m.sender.id === me?.id}
              startsRun={!sameRun(oldestFirst[i - 1], m)}
              endsRun={!sameRun(m, oldestFirst[i + 1])}
            />
          ))}
        </ul>
      </div>
      <ErrorBanner error={readError} />
      <Composer key={id} conversationId={id} onSent={add} />
    </section>
  );
}

function sendersOf(messages: MessageView[], meId: string | undefined): UserView[] {
  const seen = new Map<string, UserView>();
  for (const m of messages) if (m.sender.id !== meId) seen.set(m.sender.id, m.sender);
  return [...seen.values()];
}

/**
 * Keeps the thread's scroll where a reader expects it: at the bottom on open and when a message arrives (or a
 * picture loads) while they are there, and in place when older messages are added above.
 */
function useScrollKeeper(items: MessageView[]) {
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const last = useRef<{ newest?: string | undefined; oldest?: string | undefined; height: number }>({
    height: 0,
  });

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = () => (atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX);
    // Pictures take their height when they load: stay at the bottom if that is where the reader was.
    const onLoad = () => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    };
    el.addEventListener("scroll", onScroll, { passive: true });
    el.addEventListener("load", onLoad, true);
    return () => {
      el.removeEventListener("scroll", onScroll);
      el.removeEventListener("load", onLoad, true);
    };
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const newest = items[0]?.id;
    const oldest = items[items.length - 1]?.id;
    const before = last.current;
    if (newest !== before.newest && (before.newest === undefined || atBottom.current || isMine(items[0]))) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    } else if (oldest !== before.oldest && newest === before.newest) {
      // Older messages went in above: what was on screen stays put.
      el.scrollTop += el.scrollHeight - before.height;
    }
    last.current = { newest, oldest, height: el.scrollHeight };
  }, [items]);

  return ref;
}

function isMine(m: MessageView | undefined): boolean {
  return m !== undefined && m.sender.id === session.peek()?.me.id;
}

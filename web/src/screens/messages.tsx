import { ConversationList, useConversations } from "./messages/conversations";
import { Thread } from "./messages/thread";
import "../styles/messages.css";

/**
 * Direct messages: the conversation list and the open thread side by side on a wide screen; on a phone the
 * list, or the thread when one is open (with a way back to the list).
 */
export function MessagesScreen(props: { conversationId?: string }) {
  const conversations = useConversations();
  const id = props.conversationId;
  return (
    <section class={`dm-screen ${id ? "dm-has-thread" : ""}`}>
      {/* On a phone the open thread fills the screen: its own heading says whose it is. */}
      <h1 class={`dm-title ${id ? "visually-hidden-narrow" : ""}`}>Messages</h1>
      <div class="dm-layout">
        <ConversationList conversations={conversations} activeId={id} />
        <div class="dm-thread-pane">
          {id ? (
            <Thread
              key={id}
              conversationId={id}
              conversation={conversations.items.find((c) => c.id === id)}
              onRead={conversations.markRead}
              onSent={conversations.sent}
            />
          ) : (
            <p class="dm-empty muted">Choose a conversation, or start a new one.</p>
          )}
        </div>
      </div>
    </section>
  );
}

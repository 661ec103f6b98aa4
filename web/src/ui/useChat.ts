import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { ChatStore, type ChatSnapshot } from '../room/chatStore';
import type { ChatMessageInfo } from '../room/protocol';
import type { RoomSession, SessionError } from '../room/session';

export interface ChatState {
  store: ChatStore;
  snapshot: ChatSnapshot;
  /** The last request the server refused (cleared by the next message of one's own). */
  error: SessionError | null;
  clearError: () => void;
  /** The latest message from someone else that arrived while the panel was closed. */
  latestUnread: ChatMessageInfo | null;
  clearLatestUnread: () => void;
  /** Sends a message; false when not in the room right now. */
  send: (text: string) => boolean;
  /** The text of the message the server last refused, to put back in the box. */
  lastRefusedText: string | null;
}

/**
 * The chat of this session, kept for as long as the session (across reconnections): the store
 * follows the session's chat events; `open` is whether the chat panel shows (read: nothing unread).
 * `onUnread` is called with each message that arrives unread, for an announcement.
 */
export function useChat(session: RoomSession, open: boolean, onUnread: (message: ChatMessageInfo) => void): ChatState {
  const store = useMemo(() => new ChatStore(), [session]);
  const [error, setError] = useState<SessionError | null>(null);
  const [latestUnread, setLatestUnread] = useState<ChatMessageInfo | null>(null);
  const [lastRefusedText, setLastRefusedText] = useState<string | null>(null);
  const unread = useRef(onUnread);
  unread.current = onUnread;

  useEffect(() => {
    const offs = [
      session.on('chat-history', (messages) => store.joined(messages, session.participantId)),
      session.on('chat-message', (message, own) => {
        if (own) {
          setError(null);
          setLastRefusedText(null);
        }
        if (store.add(message, session.participantId)) {
          setLatestUnread(message);
          unread.current(message);
        }
      }),
      session.on('chat-deleted', (messageId) => {
        store.remove(messageId);
        setLatestUnread((latest) => (latest?.id === messageId ? null : latest));
      }),
      session.on('chat-error', (refused, text) => {
        if (refused.code === 'chat_message_not_found') return; // Someone else deleted it first.
        setError(refused);
        if (text !== null) setLastRefusedText(text);
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [session, store]);

  useEffect(() => {
    store.setOpen(open);
    if (open) setLatestUnread(null);
  }, [store, open]);

  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return {
    store,
    snapshot,
    error,
    clearError: () => setError(null),
    latestUnread,
    clearLatestUnread: () => setLatestUnread(null),
    send: (text) => {
      if (!session.sendChat(text)) return false;
      setLastRefusedText(null);
      return true;
    },
    lastRefusedText,
  };
}

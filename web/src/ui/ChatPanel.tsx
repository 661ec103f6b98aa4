import { Fragment, memo, useEffect, useId, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { Language, Messages } from '../i18n/messages';
import { CHAT_COUNTER_FROM, CHAT_MAX_CHARACTERS, linkify } from '../room/chatStore';
import type { ChatMessageInfo } from '../room/protocol';
import type { SessionError } from '../room/session';
import { ConfirmDialog } from './ConfirmDialog';
import { CloseIcon } from './icons';
import { useStickToBottom } from './useCaptions';
import './chat.css';

/** Messages from one person this close together share one name and time. */
const GROUP_WITHIN_MS = 3 * 60_000;

function Svg({ path, size = 24 }: { path: string; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="currentColor" aria-hidden="true" focusable="false">
      <path d={path} />
    </svg>
  );
}

export const ChatIcon = ({ size }: { size?: number }) => (
  <Svg size={size} path="M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2zm0 14H5.17L4 17.17V4h16v12zM6 12h8v2H6zm0-3h12v2H6zm0-3h12v2H6z" />
);
const SendIcon = () => <Svg size={20} path="M3.4 20.4 20.85 12.92a1 1 0 0 0 0-1.84L3.4 3.6a.99.99 0 0 0-1.39.91L2 9.12c0 .5.37.93.87.99L17 12 2.87 13.88c-.5.07-.87.5-.87 1l.01 4.61c0 .71.73 1.2 1.39.91z" />;
const DeleteIcon = () => <Svg size={18} path="M6 19c0 1.1.9 2 2 2h8c1.1 0 2-.9 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z" />;

/** The number of characters the server counts (code points, after trimming and NFC). */
export function chatLength(text: string): number {
  return [...text.trim().normalize('NFC')].length;
}

function chatErrorText(error: SessionError, t: Messages): string {
  switch (error.code) {
    case 'rate_limited':
      return t.chatRateLimited;
    case 'forbidden':
      return t.chatDeleteForbidden;
    default:
      return t.chatRefused;
  }
}

interface ChatPanelProps {
  id: string;
  messages: readonly ChatMessageInfo[];
  selfId: string;
  moderator: boolean;
  error: SessionError | null;
  /** The text of a message the server refused, to put back in the box. */
  refusedText: string | null;
  onSend: (text: string) => boolean;
  onDelete: (messageId: string) => void;
  onDismissError: () => void;
  onClose: () => void;
}

/**
 * The meeting's chat: every message (name, time, text with its web links), a delete action for
 * moderators (after a confirmation), and the box to write in (Enter sends, Shift+Enter goes to
 * the next line). Text is always shown as text, never as HTML.
 */
export function ChatPanel(props: ChatPanelProps) {
  const { t, language } = useI18n();
  const { id, messages } = props;
  const headingId = `${id}-heading`;
  const { ref, stuck, onScroll, follow } = useStickToBottom<HTMLOListElement>(messages);
  const [deleting, setDeleting] = useState<ChatMessageInfo | null>(null);

  return (
    <aside id={id} className="panel chat-panel" role="region" aria-labelledby={headingId} data-testid="chat-panel">
      <div className="panel__header">
        <h2 id={headingId}>{t.chat}</h2>
        <button type="button" className="icon-button" aria-label={t.closePanel} title={t.closePanel} onClick={props.onClose}>
          <CloseIcon />
        </button>
      </div>
      <div className="chat-panel__body">
        {messages.length === 0 && <p className="chat-panel__empty">{t.chatEmpty}</p>}
        <ol
          ref={ref}
          className="chat-log"
          data-testid="chat-log"
          role="log"
          aria-live="polite"
          aria-label={t.chatMessagesLog}
          tabIndex={0}
          onScroll={onScroll}
        >
          <ChatMessages
            messages={messages}
            selfId={props.selfId}
            moderator={props.moderator}
            language={language}
            t={t}
            onDelete={setDeleting}
          />
        </ol>
        {!stuck && messages.length > 0 && (
          <button type="button" className="chat-panel__latest" onClick={follow}>
            {t.jumpToLatest}
          </button>
        )}
      </div>
      <ChatComposer {...props} />
      {deleting && (
        <ConfirmDialog
          title={t.chatDeleteTitle}
          text={t.chatDeleteText}
          confirmLabel={t.chatDelete}
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            props.onDelete(deleting.id);
            setDeleting(null);
          }}
        />
      )}
    </aside>
  );
}

interface ChatMessagesProps {
  messages: readonly ChatMessageInfo[];
  selfId: string;
  moderator: boolean;
  language: Language;
  t: Messages;
  onDelete: (message: ChatMessageInfo) => void;
}

const ChatMessages = memo(function ChatMessages({ messages, selfId, moderator, language, t, onDelete }: ChatMessagesProps) {
  const time = useMemo(() => new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit' }), [language]);
  return (
    <>
      {messages.map((message, index) => {
        const previous = messages[index - 1];
        const sentAt = Date.parse(message.sent_at);
        const continued =
          previous !== undefined &&
          previous.earlier === message.earlier &&
          previous.participant_id === message.participant_id &&
          sentAt - Date.parse(previous.sent_at) < GROUP_WITHIN_MS;
        const own = message.participant_id === selfId;
        // The kept chat of earlier meetings comes first; a divider opens it, another opens
        // this meeting's messages, so nobody takes old messages for new ones.
        const divider =
          message.earlier === true && index === 0
            ? t.chatEarlierMeetings
            : message.earlier !== true && previous?.earlier === true
              ? t.chatThisMeeting
              : null;
        return (
          <Fragment key={message.id}>
            {divider && (
              <li
                role="separator"
                aria-label={divider}
                className="chat-divider"
                data-testid={message.earlier === true ? 'chat-divider-earlier' : 'chat-divider-current'}
              >
                <span aria-hidden="true">{divider}</span>
              </li>
            )}
            <li
              className={`chat-message ${continued ? 'chat-message--continued' : ''} ${own ? 'chat-message--own' : ''}`}
              data-testid="chat-message"
              data-message-id={message.id}
              data-participant-id={message.participant_id}
            >
              <div className={continued ? 'sr-only' : 'chat-message__meta'}>
                <span className="chat-message__name">
                  {message.name}
                  {own && ` ${t.youSuffix}`}
                </span>
                <time className="chat-message__time" dateTime={message.sent_at}>
                  {time.format(sentAt)}
                </time>
              </div>
              <div className="chat-message__row">
                <p className="chat-message__text" data-testid="chat-message-text">
                  {linkify(message.text).map((segment, n) =>
                    segment.kind === 'link' ? (
                      <a key={n} href={segment.href} target="_blank" rel="noopener noreferrer">
                        {segment.text}
                      </a>
                    ) : (
                      segment.text
                    ),
                  )}
                </p>
                {moderator && (
                  <button
                    type="button"
                    className="icon-button chat-message__delete"
                    data-testid="chat-delete"
                    aria-label={t.chatDeleteLabel(message.name)}
                    title={t.chatDeleteLabel(message.name)}
                    onClick={() => onDelete(message)}
                  >
                    <DeleteIcon />
                  </button>
                )}
              </div>
            </li>
          </Fragment>
        );
      })}
    </>
  );
});

/** The box to write in, with the send button, the hint, the counter near the limit and errors. */
function ChatComposer({ error, refusedText, onSend, onDismissError }: ChatPanelProps) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [offline, setOffline] = useState(false);
  const inputId = useId();
  const hintId = useId();
  const counterId = useId();
  const box = useRef<HTMLTextAreaElement>(null);
  const length = chatLength(text);
  const tooLong = length > CHAT_MAX_CHARACTERS;

  useEffect(() => {
    // The server refused the last message (too fast): give its text back, unless the person
    // has started another.
    if (refusedText !== null) setText((current) => (current.trim() ? current : refusedText));
  }, [refusedText]);

  const send = (event?: FormEvent) => {
    event?.preventDefault();
    if (length === 0 || tooLong) return;
    if (!onSend(text.trim())) {
      setOffline(true);
      return;
    }
    setOffline(false);
    setText('');
    box.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const problem = tooLong ? t.chatTooLong(CHAT_MAX_CHARACTERS) : offline ? t.chatNotConnected : error ? chatErrorText(error, t) : null;

  return (
    <form className="chat-composer" onSubmit={send}>
      {problem && (
        <p className="chat-composer__error" role="alert" data-testid="chat-error">
          <span>{problem}</span>
          {!tooLong && (
            <button
              type="button"
              className="icon-button"
              aria-label={t.dismiss}
              onClick={() => {
                setOffline(false);
                onDismissError();
              }}
            >
              <CloseIcon size={18} />
            </button>
          )}
        </p>
      )}
      <div className="chat-composer__row">
        <label className="sr-only" htmlFor={inputId}>
          {t.chatInputLabel}
        </label>
        <textarea
          id={inputId}
          ref={box}
          className="chat-composer__input"
          data-testid="chat-input"
          rows={1}
          value={text}
          placeholder={t.chatPlaceholder}
          aria-describedby={`${hintId} ${counterId}`}
          aria-invalid={tooLong}
          autoFocus
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
        />
        <button
          type="submit"
          className="chat-composer__send"
          data-testid="chat-send"
          aria-label={t.chatSend}
          title={t.chatSend}
          disabled={length === 0 || tooLong}
        >
          <SendIcon />
        </button>
      </div>
      <div className="chat-composer__footer">
        <span id={hintId} className="chat-composer__hint">
          {t.chatHint}
        </span>
        <span
          id={counterId}
          className={`chat-composer__counter ${tooLong ? 'chat-composer__counter--over' : ''}`}
          data-testid="chat-counter"
          aria-live="polite"
        >
          {length >= CHAT_COUNTER_FROM ? t.chatCharactersLeft(CHAT_MAX_CHARACTERS - length) : ''}
        </span>
      </div>
    </form>
  );
}

interface ChatToastProps {
  message: ChatMessageInfo;
  onOpen: () => void;
  onDismiss: () => void;
}

/** "New message from X", with its first words, while the chat is closed; it goes by itself. */
export function ChatToast({ message, onOpen, onDismiss }: ChatToastProps) {
  const { t } = useI18n();
  const dismiss = useRef(onDismiss);
  dismiss.current = onDismiss;
  useEffect(() => {
    const timer = setTimeout(() => dismiss.current(), 6000);
    return () => clearTimeout(timer);
  }, [message]);
  return (
    <div className="toast toast--notice chat-toast" data-testid="chat-toast">
      <span className="toast__text">
        <strong>{t.chatNewMessageFrom(message.name)}</strong>
        <span className="chat-toast__preview">{message.text}</span>
      </span>
      <button type="button" className="button button--primary toast__action" onClick={onOpen}>
        {t.chatOpen}
      </button>
      <button type="button" className="icon-button" aria-label={t.dismiss} onClick={onDismiss}>
        <CloseIcon size={20} />
      </button>
    </div>
  );
}

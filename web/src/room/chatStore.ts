/**
 * The meeting's chat as one participant holds it: the messages (history from `joined`, then each
 * `chat.message`), deletions, and how many arrived unread while the chat panel was closed. Plain
 * TypeScript, no DOM: the UI subscribes. `linkify` splits a message into text and web links.
 */

import type { ChatMessageInfo } from './protocol';

/** The most characters a message may have (the server refuses more). */
export const CHAT_MAX_CHARACTERS = 2000;
/** Show the character counter from this many characters on. */
export const CHAT_COUNTER_FROM = 1800;
/** How many messages to keep, as the server does. */
export const CHAT_HISTORY_LIMIT = 500;

export interface ChatSnapshot {
  /** Oldest first. */
  messages: readonly ChatMessageInfo[];
  /** Messages from others that arrived while the panel was closed. */
  unread: number;
  open: boolean;
}

/** Oldest first; ties (the same instant) in id order, so every participant sees one order. */
function byTime(a: ChatMessageInfo, b: ChatMessageInfo): number {
  const at = Date.parse(a.sent_at);
  const bt = Date.parse(b.sent_at);
  if (at !== bt) return at - bt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The chat after a (re)join: the server's history is the truth for the time it covers (a message
 * deleted while this person was disconnected is not in it); older messages this person already
 * had are kept; nothing in `deleted` comes back. At most `limit`, the newest.
 */
export function mergeHistory(
  current: readonly ChatMessageInfo[],
  history: readonly ChatMessageInfo[],
  deleted: ReadonlySet<string> = new Set(),
  limit = CHAT_HISTORY_LIMIT,
): ChatMessageInfo[] {
  const fromServer = [...history].sort(byTime);
  const ids = new Set(fromServer.map((m) => m.id));
  const first = fromServer[0];
  const covered = first ? Date.parse(first.sent_at) : Infinity;
  const older = current.filter((m) => !ids.has(m.id) && Date.parse(m.sent_at) < covered);
  return [...older, ...fromServer]
    .filter((m) => !deleted.has(m.id))
    .sort(byTime)
    .slice(-limit);
}

export class ChatStore {
  private messages: readonly ChatMessageInfo[] = [];
  private readonly unread = new Set<string>();
  private readonly deleted = new Set<string>();
  private open = false;
  private joinedBefore = false;
  private snapshot: ChatSnapshot = { messages: [], unread: 0, open: false };
  private readonly listeners = new Set<() => void>();

  constructor(private readonly limit = CHAT_HISTORY_LIMIT) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ChatSnapshot => this.snapshot;

  /**
   * The history in `joined`. On the first join it is what was said before (nothing unread); on a
   * rejoin, messages from others that this person had not seen yet count as unread.
   */
  joined(history: readonly ChatMessageInfo[], selfId: string | null): void {
    const known = new Set(this.messages.map((m) => m.id));
    this.messages = mergeHistory(this.messages, history, this.deleted, this.limit);
    if (this.joinedBefore && !this.open) {
      for (const message of this.messages) {
        if (!known.has(message.id) && message.participant_id !== selfId) this.unread.add(message.id);
      }
    }
    this.joinedBefore = true;
    this.changed();
  }

  /** A new message; returns true when it counts as unread (from someone else, panel closed). */
  add(message: ChatMessageInfo, selfId: string | null): boolean {
    if (this.deleted.has(message.id) || this.messages.some((m) => m.id === message.id)) return false;
    const previous = this.messages[this.messages.length - 1];
    const next = [...this.messages, message];
    if (previous && byTime(previous, message) > 0) next.sort(byTime);
    this.messages = next.slice(-this.limit);
    const unread = !this.open && message.participant_id !== selfId;
    if (unread) this.unread.add(message.id);
    this.changed();
    return unread;
  }

  /** A moderator deleted a message: it goes, unread or not. */
  remove(messageId: string): void {
    this.deleted.add(messageId);
    this.unread.delete(messageId);
    this.messages = this.messages.filter((m) => m.id !== messageId);
    this.changed();
  }

  /** The panel opened (everything is read) or closed. */
  setOpen(open: boolean): void {
    if (open === this.open && (!open || this.unread.size === 0)) return;
    this.open = open;
    if (open) this.unread.clear();
    this.changed();
  }

  private changed(): void {
    // Unread ids of messages that fell out of the history no longer count.
    const kept = new Set(this.messages.map((m) => m.id));
    for (const id of this.unread) if (!kept.has(id)) this.unread.delete(id);
    this.snapshot = { messages: this.messages, unread: this.unread.size, open: this.open };
    for (const listener of [...this.listeners]) listener();
  }
}

// ---- links ----

export type ChatSegment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_PATTERN = /https?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than a link ("see https://x.fr."). */
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', "'", '"', '»', ']']);

/** Drops trailing punctuation, and a closing bracket unless the link opened it (Wikipedia). */
function trimLink(candidate: string): string {
  let link = candidate;
  while (link.length > 0) {
    const last = link.charAt(link.length - 1);
    const unbalanced = last === ')' && (link.match(/\(/g) ?? []).length < (link.match(/\)/g) ?? []).length;
    if (!TRAILING.has(last) && !unbalanced) break;
    link = link.slice(0, -1);
  }
  return link;
}

/** The web address a link opens, or null when it is not a well-formed http(s) URL. */
function safeHref(link: string): string | null {
  try {
    const url = new URL(link);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Splits a message into plain text and http(s) links, for showing as text and anchors (never as
 * HTML). Anything else that looks like an address (javascript:, data:, mailto:) stays text.
 */
export function linkify(text: string): ChatSegment[] {
  const segments: ChatSegment[] = [];
  let last = 0;
  const push = (piece: string) => {
    if (!piece) return;
    const previous = segments[segments.length - 1];
    if (previous?.kind === 'text') previous.text += piece;
    else segments.push({ kind: 'text', text: piece });
  };
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0;
    const link = trimLink(match[0]);
    const href = safeHref(link);
    push(text.slice(last, start));
    if (href) segments.push({ kind: 'link', text: link, href });
    else push(link);
    last = start + link.length;
  }
  push(text.slice(last));
  return segments;
}

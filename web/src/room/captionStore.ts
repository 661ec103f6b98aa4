/**
 * The subtitles one participant has received: lines being spoken now (partials, refined as the
 * speaker goes on) and the settled history (finals). Plain TypeScript, no DOM: the UI subscribes.
 */

import type { CaptionKind } from './protocol';

export interface CaptionLine {
  /** Unique for the life of the store: a stable key for the UI. */
  id: number;
  participantId: string;
  /** The speaker's name when the line started (kept after they leave). */
  speaker: string;
  segmentId: string;
  kind: CaptionKind;
  text: string;
  language?: string;
  /** The text in English, on finals spoken in another language while someone asked for English. */
  translation?: string;
  /** When the line started (ms since the epoch): its first partial, or its final if it had none. */
  startedAt: number;
  /** When its text last changed. */
  updatedAt: number;
}

export interface CaptionSnapshot {
  /** Settled lines in the order their finals arrived, oldest first, at most `historyLimit`. */
  history: readonly CaptionLine[];
  /** Lines still being spoken (partials), in the order they started. */
  live: readonly CaptionLine[];
}

/** The fields of a `caption` message the store uses. */
export interface IncomingCaption {
  participant_id: string;
  segment_id: string;
  kind: CaptionKind;
  text: string;
  language?: string;
  translation?: string;
}

export interface CaptionStoreOptions {
  /** How many settled lines to keep (the oldest go first). */
  historyLimit?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export const DEFAULT_HISTORY_LIMIT = 500;

export class CaptionStore {
  private readonly historyLimit: number;
  private readonly now: () => number;
  private readonly names = new Map<string, string>();
  /** Partials by participant and segment (segment ids are only unique per speaker). */
  private readonly live = new Map<string, CaptionLine>();
  private history: readonly CaptionLine[] = [];
  private snapshot: CaptionSnapshot = { history: [], live: [] };
  private nextId = 1;
  private readonly listeners = new Set<() => void>();

  constructor(options: CaptionStoreOptions = {}) {
    this.historyLimit = Math.max(1, options.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    this.now = options.now ?? Date.now;
  }

  /** Learns (or refreshes) participants' names. Names are never forgotten: people who left keep theirs. */
  rememberParticipants(participants: readonly { id: string; name: string }[]): void {
    for (const participant of participants) this.names.set(participant.id, participant.name);
  }

  /** The name of a participant, or '' for someone never seen. */
  nameOf(participantId: string): string {
    return this.names.get(participantId) ?? '';
  }

  /** Takes one caption: a partial starts or refines its segment's line, a final settles it into the history. */
  apply(caption: IncomingCaption): void {
    const key = `${caption.participant_id}\u0000${caption.segment_id}`;
    const current = this.live.get(key);
    const now = this.now();
    const text = caption.text.trim();
    if (caption.kind === 'partial') {
      if (!text) {
        // A partial refined to nothing: the recogniser dropped what it had guessed.
        if (current && this.live.delete(key)) this.publish();
        return;
      }
      this.live.set(key, this.line(caption, text, current, now));
      this.publish();
      return;
    }
    if (text && this.settled(caption, text)) return;
    this.live.delete(key);
    if (text) {
      const settled = [...this.history, this.line(caption, text, current, now)];
      this.history = settled.length > this.historyLimit ? settled.slice(settled.length - this.historyLimit) : settled;
    }
    // A final with no text drops the partial (e.g. noise the recogniser rejected at the pause).
    if (text || current) this.publish();
  }

  /** Forgets the lines being spoken (subtitles were turned off); the history stays. */
  dropLive(): void {
    if (this.live.size === 0) return;
    this.live.clear();
    this.publish();
  }

  getSnapshot = (): CaptionSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /**
   * Whether this final is one the history has already: after a reconnection the server sends
   * again the finals said since this person joined, and only those missed while away are new.
   */
  private settled(caption: IncomingCaption, text: string): boolean {
    return this.history.some(
      (line) => line.participantId === caption.participant_id && line.segmentId === caption.segment_id && line.text === text,
    );
  }

  private line(caption: IncomingCaption, text: string, current: CaptionLine | undefined, now: number): CaptionLine {
    const line: CaptionLine = {
      id: current?.id ?? this.nextId++,
      participantId: caption.participant_id,
      speaker: current?.speaker || this.nameOf(caption.participant_id),
      segmentId: caption.segment_id,
      kind: caption.kind,
      text,
      startedAt: current?.startedAt ?? now,
      updatedAt: now,
    };
    if (caption.language) line.language = caption.language;
    const translation = caption.translation?.trim();
    if (caption.kind === 'final' && translation) line.translation = translation;
    return line;
  }

  private publish(): void {
    const live = [...this.live.values()].sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
    this.snapshot = { history: this.history, live };
    for (const listener of [...this.listeners]) listener();
  }
}

/** What a line shows: its text, or its English translation for a viewer who chose English. */
export interface ShownText {
  text: string;
  /** The language of `text` (for the `lang` attribute), when known. */
  language?: string;
  /** What was said, when `text` is a translation of it. */
  original?: { text: string; language?: string };
}

/**
 * The text to show for a line: in English when the viewer asked for it and the line is a final
 * that has a translation; otherwise (partials, English speech, no translation) as spoken.
 */
export function shownText(line: CaptionLine, english: boolean): ShownText {
  const spoken: ShownText = { text: line.text };
  if (line.language) spoken.language = line.language;
  if (!english || line.kind !== 'final' || !line.translation) return spoken;
  const original: { text: string; language?: string } = { text: line.text };
  if (line.language) original.language = line.language;
  return { text: line.translation, language: 'en', original };
}

export interface OverlayOptions {
  /** How many lines to show at most. */
  count: number;
  /** How long a settled line stays on screen after it settled. */
  finalMs: number;
  /** A partial not refined for this long is left out (its speaker's final never came). */
  staleMs: number;
}

export const OVERLAY_DEFAULTS: OverlayOptions = { count: 3, finalMs: 8_000, staleMs: 20_000 };

/**
 * The lines to show over the stage now: recent finals and current partials, in the order they
 * started, the newest `count`.
 */
export function overlayLines(snapshot: CaptionSnapshot, now: number, options: OverlayOptions = OVERLAY_DEFAULTS): CaptionLine[] {
  const recent: CaptionLine[] = [];
  // The history is in order of settling, so walk back only as far as the recent ones.
  for (let i = snapshot.history.length - 1; i >= 0 && recent.length < options.count; i--) {
    const line = snapshot.history[i]!;
    if (now - line.updatedAt >= options.finalMs) break;
    recent.push(line);
  }
  const speaking = snapshot.live.filter((line) => now - line.updatedAt < options.staleMs);
  const lines = [...recent, ...speaking].sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
  return lines.slice(Math.max(0, lines.length - options.count));
}

/** When the overlay next changes by itself (a line ages out), or null if nothing will. */
export function nextOverlayExpiry(lines: readonly CaptionLine[], options: OverlayOptions = OVERLAY_DEFAULTS): number | null {
  let next: number | null = null;
  for (const line of lines) {
    const at = line.updatedAt + (line.kind === 'final' ? options.finalMs : options.staleMs);
    if (next === null || at < next) next = at;
  }
  return next;
}

/**
 * The meeting's keyboard shortcuts, as plain functions of a key event: which action a key asks
 * for, and push-to-talk (hold Space while muted to speak). The hook in useMeetingShortcuts.ts
 * binds them to the window.
 */

export type ShortcutAction = 'microphone' | 'camera' | 'hand' | 'chat' | 'layout' | 'help';

/** The keys, in the order the help dialog lists them (Space is push-to-talk, listed apart). */
export const SHORTCUT_KEYS: ReadonlyArray<readonly [string, ShortcutAction]> = [
  ['M', 'microphone'],
  ['V', 'camera'],
  ['H', 'hand'],
  ['C', 'chat'],
  ['L', 'layout'],
  ['?', 'help'],
];

/** What the key map reads of a KeyboardEvent (a plain object in tests). */
export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey?: boolean;
  repeat?: boolean;
  target: EventTarget | null;
}

/** Whether the key goes to something the person types in: an input, a textarea, a select, an editable element. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const element = target as HTMLElement;
  if (element.isContentEditable) return true;
  return element.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null;
}

/** Whether a dialog or a menu has the key: Escape and the arrows belong to them, and so do letters. */
function inDialogOrMenu(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  return (target as Element).closest('dialog, [role="menu"]') !== null;
}

/**
 * The action a key press asks for, or null: keys typed into a field, keys with Ctrl, Cmd or Alt
 * (the browser's and the system's shortcuts), held-down repeats and keys inside a dialog or menu
 * are not shortcuts. Letters work in either case and in any keyboard layout that types them.
 */
export function shortcutFor(event: KeyLike): ShortcutAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return null;
  if (isTypingTarget(event.target) || inDialogOrMenu(event.target)) return null;
  const key = event.key.length === 1 ? event.key.toUpperCase() : event.key;
  return SHORTCUT_KEYS.find(([shortcut]) => shortcut === key)?.[1] ?? null;
}

/** Whether this key event is the Space bar, pressed outside anything that takes it (fields, buttons). */
export function isPushToTalkKey(event: KeyLike): boolean {
  if (event.key !== ' ' && event.code !== 'Space') return false;
  if (event.ctrlKey || event.metaKey || event.altKey) return false;
  if (isTypingTarget(event.target) || inDialogOrMenu(event.target)) return false;
  // Space presses a focused button, ticks a checkbox: leave it to them.
  const target = event.target as Element | null;
  if (target && typeof target.closest === 'function' && target.closest('button, a[href], [role="button"], summary')) return false;
  return true;
}

/**
 * Push-to-talk: holding Space while muted unmutes, releasing it mutes again. Space while already
 * unmuted does nothing (and releasing it does not mute: the person unmuted themselves). If the
 * microphone is muted from elsewhere while Space is held (a moderator), releasing leaves it muted.
 */
export class PushToTalk {
  private holding = false;

  constructor(private readonly setMicrophone: (enabled: boolean) => void) {}

  get active(): boolean {
    return this.holding;
  }

  /** Space went down; `audio` is whether the microphone is on now. Returns true when it unmuted. */
  press(audio: boolean): boolean {
    if (this.holding || audio) return false;
    this.holding = true;
    this.setMicrophone(true);
    return true;
  }

  /** Space came up (or the window lost focus); `audio` is whether the microphone is on now. */
  release(audio: boolean): void {
    if (!this.holding) return;
    this.holding = false;
    if (audio) this.setMicrophone(false);
  }

  /** Someone else muted the microphone while Space was held: releasing must not touch it. */
  cancel(): void {
    this.holding = false;
  }
}

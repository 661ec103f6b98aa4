// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { isPushToTalkKey, isTypingTarget, PushToTalk, shortcutFor, type KeyLike } from './shortcuts';

function key(value: string, target: EventTarget | null = document.body, extra: Partial<KeyLike> = {}): KeyLike {
  return { key: value, ctrlKey: false, metaKey: false, altKey: false, target, ...extra };
}

function element(html: string): HTMLElement {
  const holder = document.createElement('div');
  holder.innerHTML = html;
  document.body.append(holder);
  return holder.querySelector('[data-target]') as HTMLElement;
}

describe('shortcutFor', () => {
  it('maps M, V, H, C, L and ? in either case', () => {
    expect(['m', 'M', 'v', 'h', 'c', 'l', 'L', '?'].map((k) => shortcutFor(key(k)))).toEqual([
      'microphone',
      'microphone',
      'camera',
      'hand',
      'chat',
      'layout',
      'layout',
      'help',
    ]);
  });

  it('ignores other keys', () => {
    expect(shortcutFor(key('x'))).toBeNull();
    expect(shortcutFor(key('Enter'))).toBeNull();
    expect(shortcutFor(key(' '))).toBeNull();
  });

  it('ignores keys with Ctrl, Cmd or Alt, and held-down repeats', () => {
    expect(shortcutFor(key('m', document.body, { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(key('v', document.body, { metaKey: true }))).toBeNull();
    expect(shortcutFor(key('h', document.body, { altKey: true }))).toBeNull();
    expect(shortcutFor(key('m', document.body, { repeat: true }))).toBeNull();
    expect(shortcutFor(key('?', document.body, { shiftKey: true }))).toBe('help');
  });

  it('ignores keys typed in inputs, textareas, selects and editable elements', () => {
    for (const html of [
      '<input data-target>',
      '<textarea data-target></textarea>',
      '<select data-target></select>',
      '<div contenteditable="true"><span data-target>text</span></div>',
    ]) {
      const target = element(html);
      expect(isTypingTarget(target), html).toBe(true);
      expect(shortcutFor(key('m', target)), html).toBeNull();
    }
  });

  it('leaves keys inside a dialog or a menu to them', () => {
    expect(shortcutFor(key('m', element('<dialog open><button data-target>x</button></dialog>')))).toBeNull();
    expect(shortcutFor(key('h', element('<div role="menu"><button data-target>x</button></div>')))).toBeNull();
  });

  it('works with the focus on a meeting button', () => {
    expect(shortcutFor(key('m', element('<button data-target>Mic</button>')))).toBe('microphone');
  });
});

describe('isPushToTalkKey', () => {
  it('is Space outside fields and buttons', () => {
    expect(isPushToTalkKey(key(' '))).toBe(true);
    expect(isPushToTalkKey(key('Spacebar', document.body, { code: 'Space' }))).toBe(true);
  });

  it('is not Space in a field, on a button (it presses it) or with a modifier', () => {
    expect(isPushToTalkKey(key(' ', element('<input data-target>')))).toBe(false);
    expect(isPushToTalkKey(key(' ', element('<button data-target>x</button>')))).toBe(false);
    expect(isPushToTalkKey(key(' ', document.body, { ctrlKey: true }))).toBe(false);
    expect(isPushToTalkKey(key('m'))).toBe(false);
  });
});

describe('PushToTalk', () => {
  it('unmutes while Space is held and mutes again on release', () => {
    const setMicrophone = vi.fn();
    const ptt = new PushToTalk(setMicrophone);
    expect(ptt.press(false)).toBe(true);
    expect(ptt.active).toBe(true);
    expect(ptt.press(true)).toBe(false); // the key repeats: nothing more
    ptt.release(true);
    expect(setMicrophone.mock.calls).toEqual([[true], [false]]);
    expect(ptt.active).toBe(false);
  });

  it('does nothing while the microphone is already on', () => {
    const setMicrophone = vi.fn();
    const ptt = new PushToTalk(setMicrophone);
    expect(ptt.press(true)).toBe(false);
    ptt.release(true);
    expect(setMicrophone).not.toHaveBeenCalled();
  });

  it('leaves the microphone alone on release when it was muted meanwhile (a moderator)', () => {
    const setMicrophone = vi.fn();
    const ptt = new PushToTalk(setMicrophone);
    ptt.press(false);
    ptt.cancel();
    ptt.release(false);
    expect(setMicrophone.mock.calls).toEqual([[true]]);
  });

  it('does not mute on release when the microphone is already off', () => {
    const setMicrophone = vi.fn();
    const ptt = new PushToTalk(setMicrophone);
    ptt.press(false);
    ptt.release(false);
    expect(setMicrophone.mock.calls).toEqual([[true]]);
  });
});

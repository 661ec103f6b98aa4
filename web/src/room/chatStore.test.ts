import { describe, expect, it } from 'vitest';
import { ChatStore, linkify, mergeHistory } from './chatStore';
import type { ChatMessageInfo } from './protocol';

const at = (second: number) => new Date(Date.UTC(2026, 11, 2, 9, 0, second)).toISOString();
const message = (id: string, second: number, from = 'p_other', text = id): ChatMessageInfo => ({
  id,
  participant_id: from,
  name: from === 'p_me' ? 'Me' : 'Alice',
  text,
  sent_at: at(second),
  earlier: false,
});
const ids = (messages: readonly ChatMessageInfo[]) => messages.map((m) => m.id);

describe('linkify', () => {
  it('keeps plain text as one text segment', () => {
    expect(linkify('hello <b>x</b>')).toEqual([{ kind: 'text', text: 'hello <b>x</b>' }]);
  });

  it('makes http and https addresses links, the text around them text', () => {
    expect(linkify('see https://example.org/a?b=1#c and http://x.fr')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' },
      { kind: 'text', text: ' and ' },
      { kind: 'link', text: 'http://x.fr', href: 'http://x.fr/' },
    ]);
  });

  it('leaves sentence punctuation out of the link but keeps brackets the link opened', () => {
    expect(linkify('Read https://fr.wikipedia.org/wiki/Paris_(France).')).toEqual([
      { kind: 'text', text: 'Read ' },
      { kind: 'link', text: 'https://fr.wikipedia.org/wiki/Paris_(France)', href: 'https://fr.wikipedia.org/wiki/Paris_(France)' },
      { kind: 'text', text: '.' },
    ]);
    expect(linkify('(https://a.fr/x), ok')).toEqual([
      { kind: 'text', text: '(' },
      { kind: 'link', text: 'https://a.fr/x', href: 'https://a.fr/x' },
      { kind: 'text', text: '), ok' },
    ]);
  });

  it('never makes links of other schemes or broken addresses', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<script>x</script>', 'mailto:a@b.fr', 'https://', 'ftp://x.fr']) {
      expect(linkify(text).every((s) => s.kind === 'text')).toBe(true);
      expect(linkify(text).map((s) => s.text).join('')).toBe(text);
    }
  });

  it('stops a link at quotes and angle brackets', () => {
    const segments = linkify('"https://a.fr/"onmouseover="x" <https://b.fr>');
    expect(segments.filter((s) => s.kind === 'link').map((s) => s.text)).toEqual(['https://a.fr/', 'https://b.fr']);
  });
});

describe('mergeHistory', () => {
  it('takes the server history for the time it covers and keeps older local messages', () => {
    const local = [message('a', 1), message('b', 2), message('gone', 3)];
    const server = [message('b', 2), message('c', 4)];
    expect(ids(mergeHistory(local, server))).toEqual(['a', 'b', 'c']);
  });

  it('never brings back a deleted message, and keeps the newest within the limit', () => {
    const server = [message('x', 1), message('y', 2), message('z', 3)];
    expect(ids(mergeHistory([], server, new Set(['y'])))).toEqual(['x', 'z']);
    expect(ids(mergeHistory([], server, new Set(), 2))).toEqual(['y', 'z']);
  });

  it('orders by time, then id', () => {
    expect(ids(mergeHistory([], [message('b', 5), message('a', 5), message('c', 1)]))).toEqual(['c', 'a', 'b']);
  });
});

describe('ChatStore', () => {
  it('counts messages from others as unread while closed, not one’s own nor the first history', () => {
    const store = new ChatStore();
    store.joined([message('old', 1)], 'p_me');
    expect(store.getSnapshot().unread).toBe(0);
    expect(store.add(message('mine', 2, 'p_me'), 'p_me')).toBe(false);
    expect(store.add(message('theirs', 3), 'p_me')).toBe(true);
    expect(store.add(message('theirs', 3), 'p_me')).toBe(false); // the same message twice
    expect(store.getSnapshot()).toMatchObject({ unread: 1, open: false });
    expect(ids(store.getSnapshot().messages)).toEqual(['old', 'mine', 'theirs']);
  });

  it('clears the unread count when the panel opens and counts nothing while open', () => {
    const store = new ChatStore();
    store.joined([], 'p_me');
    store.add(message('a', 1), 'p_me');
    store.add(message('b', 2), 'p_me');
    store.setOpen(true);
    expect(store.getSnapshot().unread).toBe(0);
    expect(store.add(message('c', 3), 'p_me')).toBe(false);
    store.setOpen(false);
    store.add(message('d', 4), 'p_me');
    expect(store.getSnapshot().unread).toBe(1);
  });

  it('removes a deleted message, unread or not, and never takes it back', () => {
    const store = new ChatStore();
    store.joined([], 'p_me');
    store.add(message('a', 1), 'p_me');
    store.add(message('b', 2), 'p_me');
    store.remove('a');
    expect(ids(store.getSnapshot().messages)).toEqual(['b']);
    expect(store.getSnapshot().unread).toBe(1);
    store.add(message('a', 1), 'p_me');
    store.joined([message('a', 1), message('b', 2)], 'p_new');
    expect(ids(store.getSnapshot().messages)).toEqual(['b']);
  });

  it('after a rejoin, messages missed while away are unread; deleted ones meanwhile disappear', () => {
    const store = new ChatStore();
    store.joined([message('a', 1), message('b', 2)], 'p_me');
    store.joined([message('a', 1), message('missed', 3), message('mine', 4, 'p_me2')], 'p_me2');
    expect(ids(store.getSnapshot().messages)).toEqual(['a', 'missed', 'mine']);
    expect(store.getSnapshot().unread).toBe(1);
  });

  it('keeps at most its limit, and unread counts only what is kept', () => {
    const store = new ChatStore(2);
    store.joined([], 'p_me');
    for (const [n, id] of ['a', 'b', 'c'].entries()) store.add(message(id, n), 'p_me');
    expect(ids(store.getSnapshot().messages)).toEqual(['b', 'c']);
    expect(store.getSnapshot().unread).toBe(2);
  });

  it('tells subscribers of each change', () => {
    const store = new ChatStore();
    let calls = 0;
    const off = store.subscribe(() => calls++);
    store.joined([], 'p_me');
    store.add(message('a', 1), 'p_me');
    off();
    store.remove('a');
    expect(calls).toBe(2);
  });
});

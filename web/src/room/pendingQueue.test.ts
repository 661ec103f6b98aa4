import { describe, expect, it } from 'vitest';
import { PendingQueue } from './pendingQueue';

describe('PendingQueue', () => {
  it('holds candidates until opened, then delivers them in order and the next ones at once', () => {
    const delivered: (string | null)[] = [];
    const queue = new PendingQueue<string | null>((item) => delivered.push(item));
    queue.push('a');
    queue.push('b');
    expect(delivered).toEqual([]);
    expect(queue.size).toBe(2);
    queue.open();
    expect(delivered).toEqual(['a', 'b']);
    queue.push(null);
    expect(delivered).toEqual(['a', 'b', null]);
  });

  it('delivers held items once even when opened twice', () => {
    const delivered: number[] = [];
    const queue = new PendingQueue<number>((item) => delivered.push(item));
    queue.push(1);
    queue.open();
    queue.open();
    expect(delivered).toEqual([1]);
  });

  it('drops held items on clear', () => {
    const delivered: number[] = [];
    const queue = new PendingQueue<number>((item) => delivered.push(item));
    queue.push(1);
    queue.clear();
    queue.open();
    expect(delivered).toEqual([]);
  });
});

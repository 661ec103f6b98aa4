import { describe, expect, it } from 'vitest';
import { matchRoute } from './router';

describe('matchRoute', () => {
  it('routes / home and one segment to a room', () => {
    expect(matchRoute('/')).toEqual({ page: 'home' });
    expect(matchRoute('/abc-defg-hij')).toEqual({ page: 'room', slug: 'abc-defg-hij' });
    expect(matchRoute('/abc-defg-hij/')).toEqual({ page: 'room', slug: 'abc-defg-hij' });
  });

  it('routes /rooms to the list of my rooms', () => {
    expect(matchRoute('/rooms')).toEqual({ page: 'rooms' });
    expect(matchRoute('/rooms/')).toEqual({ page: 'rooms' });
  });

  it('routes /meetings to my meetings and calendar', () => {
    expect(matchRoute('/meetings')).toEqual({ page: 'meetings' });
  });

  it('sends deeper paths to not-found', () => {
    expect(matchRoute('/a/b')).toEqual({ page: 'not-found' });
    expect(matchRoute('/%E0%A4%A')).toEqual({ page: 'not-found' });
  });
});

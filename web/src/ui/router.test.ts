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

  it('routes /meetings, /meetings/new and /meetings/<id>/edit to scheduling', () => {
    const id = '0123456789abcdef0123456789abcdef';
    expect(matchRoute('/meetings')).toEqual({ page: 'meetings' });
    expect(matchRoute('/meetings/new')).toEqual({ page: 'schedule' });
    expect(matchRoute(`/meetings/${id}/edit`)).toEqual({ page: 'schedule', meetingId: id });
    expect(matchRoute('/meetings/../edit')).toEqual({ page: 'not-found' });
    expect(matchRoute('/meetings/xyz/edit')).toEqual({ page: 'not-found' });
  });
});

describe('records and transcript search routes', () => {
  it('routes a room\'s records and the search, never as room codes', () => {
    expect(matchRoute('/rooms/abc-defg-hij/records')).toEqual({ page: 'records', slug: 'abc-defg-hij' });
    expect(matchRoute('/transcripts')).toEqual({ page: 'transcript-search' });
    expect(matchRoute('/rooms/%E0%A4%A/records')).toEqual({ page: 'not-found' });
    expect(matchRoute('/rooms/abc-defg-hij/other')).toEqual({ page: 'not-found' });
  });
});

import { describe, expect, it } from 'vitest';
import { parseServerMessage } from '../room/protocol';

const turn = { urls: ['turns:turn.example:443?transport=tcp'], username: '1767225600:p_a', credential: 'c2lnbmVk' };

describe('parseServerMessage: ice.servers', () => {
  it('parses fresh ICE servers with when to ask again', () => {
    const text = JSON.stringify({ type: 'ice.servers', reply_to: 3, ice_servers: [{ urls: 'stun:s.example' }, turn], refresh_seconds: 2700 });
    expect(parseServerMessage(text)).toMatchObject({ type: 'ice.servers', ice_servers: [{ urls: 'stun:s.example' }, turn], refresh_seconds: 2700 });
  });

  it('refuses entries that are not RTCIceServer-shaped', () => {
    for (const bad of [[{ urls: 42 }], [{ urls: ['turn:t'], credential: {} }], 'turn:t', [null]]) {
      expect(parseServerMessage(JSON.stringify({ type: 'ice.servers', ice_servers: bad }))).toBeNull();
    }
  });

  it('reads when joined says to ask again', () => {
    const alice = { id: 'p_a', name: 'Alice', audio: true, video: false, screen: false, joined_at: '2026-11-27T10:00:00Z' };
    const joined = parseServerMessage(
      JSON.stringify({ type: 'joined', participant: alice, participants: [], ice_servers: [turn], ice_refresh_seconds: 2700 }),
    );
    expect(joined).toMatchObject({ ice_servers: [turn], ice_refresh_seconds: 2700 });
  });
});

import { describe, expect, it } from 'vitest';
import type { ParticipantInfo, ServerMessage, WaitingPersonInfo } from './protocol';
import schema from './protocol.schema.json';
import {
  CAPTIONS_OFF,
  INITIAL_ROOM_STATE,
  reduceRoomState,
  sameParticipants,
  withConnectionLost,
  withOwnHand,
  type RoomState,
} from './roomState';

function person(id: string, extra: Partial<ParticipantInfo> = {}): ParticipantInfo {
  return {
    id,
    name: id,
    audio: true,
    video: true,
    screen: false,
    moderator: false,
    joined_at: '2026-01-01T10:00:00Z',
    identity: 'guest',
    ...extra,
  };
}

function waiting(id: string): WaitingPersonInfo {
  return { id, name: id, identity: 'guest', reason: 'trusted', since: '2026-01-01T10:00:00Z' };
}

const me = person('p_me', { moderator: true });
const ann = person('p_ann');
const bob = person('p_bob');

const joined: ServerMessage = {
  type: 'joined',
  participant: me,
  participants: [me, ann],
  ice_servers: [],
  limits: { max_message_bytes: 65536, rate_per_second: 20, rate_burst: 40 },
  captions: { enabled: true, language: 'fr', set_by: 'p_ann' },
  locked: true,
  start_muted: false,
  speaking: ['p_ann'],
  chat: [],
  recording: { active: false, video: false },
  transcription: { active: false },
};

/** In the room with Ann. */
const inRoom: RoomState = reduceRoomState(INITIAL_ROOM_STATE, joined);

const reduce = (...messages: ServerMessage[]) => messages.reduce(reduceRoomState, inRoom);

describe('reduceRoomState', () => {
  it('joined: you, the others (without you), subtitles and lock; no longer waiting', () => {
    const state = reduceRoomState({ ...INITIAL_ROOM_STATE, waiting: 'locked' }, joined);
    expect(state).toEqual({
      self: me,
      participants: [ann],
      captions: { enabled: true, language: 'fr', set_by: 'p_ann' },
      lock: { locked: true },
      waiting: null,
      lobby: [],
      speaking: ['p_ann'],
    });
  });

  it('participant.joined adds a newcomer at the end, and replaces one already known', () => {
    expect(reduce({ type: 'participant.joined', participant: bob }).participants).toEqual([ann, bob]);
    const renamed = { ...ann, name: 'Ann B.' };
    expect(reduce({ type: 'participant.joined', participant: renamed }).participants).toEqual([renamed]);
  });

  it('participant.joined about yourself changes nothing', () => {
    expect(reduce({ type: 'participant.joined', participant: me })).toBe(inRoom);
  });

  it('participant.updated replaces someone in place, or you', () => {
    const state = reduce({ type: 'participant.joined', participant: bob });
    const annMuted = { ...ann, audio: false };
    const updated = reduceRoomState(state, { type: 'participant.updated', participant: annMuted });
    expect(updated.participants).toEqual([annMuted, bob]);
    const promoted = { ...me, role: 'administrator' as const };
    const self = reduceRoomState(state, { type: 'participant.updated', participant: promoted });
    expect(self.self).toBe(promoted);
    expect(self.participants).toBe(state.participants);
  });

  it('participant.updated carries raised hands', () => {
    const raised = { ...ann, hand_raised_at: '2026-01-01T10:05:00Z' };
    expect(reduce({ type: 'participant.updated', participant: raised }).participants[0]?.hand_raised_at).toBe(
      '2026-01-01T10:05:00Z',
    );
  });

  it('participant.left removes them; an unknown id changes nothing', () => {
    expect(reduce({ type: 'participant.left', participant_id: 'p_ann', reason: 'left' }).participants).toEqual([]);
    expect(reduce({ type: 'participant.left', participant_id: 'p_nobody', reason: 'removed' })).toBe(inRoom);
  });

  it('captions.state sets the subtitles', () => {
    expect(reduce({ type: 'captions.state', captions: CAPTIONS_OFF }).captions).toBe(CAPTIONS_OFF);
  });

  it('room.state sets the lock, with who set it when the server says', () => {
    expect(reduce({ type: 'room.state', locked: false }).lock).toEqual({ locked: false });
    expect(reduce({ type: 'room.state', locked: true, set_by: 'p_ann' }).lock).toEqual({ locked: true, setBy: 'p_ann' });
  });

  it('moderated lower_hand lowers your hand; other actions leave the room state as it is', () => {
    const raised = withOwnHand(inRoom, '2026-01-01T10:05:00Z');
    const lowered = reduceRoomState(raised, { type: 'moderated', action: 'lower_hand', by: 'p_ann' });
    expect(lowered.self).toEqual(me);
    expect(lowered.self).not.toHaveProperty('hand_raised_at');
    expect(reduceRoomState(raised, { type: 'moderated', action: 'mute', by: 'p_ann' })).toBe(raised);
  });

  it('lobby.waiting says why you wait', () => {
    expect(reduceRoomState(INITIAL_ROOM_STATE, { type: 'lobby.waiting', reason: 'restricted' }).waiting).toBe(
      'restricted',
    );
  });

  it('lobby.knock adds someone at the end of the lobby, once', () => {
    const state = reduce(
      { type: 'lobby.knock', waiting: waiting('w_1') },
      { type: 'lobby.knock', waiting: waiting('w_2') },
      { type: 'lobby.knock', waiting: waiting('w_1') },
    );
    expect(state.lobby.map((p) => p.id)).toEqual(['w_2', 'w_1']);
  });

  it('lobby.list replaces the lobby, and lobby.left takes one out', () => {
    const state = reduce({ type: 'lobby.list', waiting: [waiting('w_1'), waiting('w_2')] });
    expect(state.lobby.map((p) => p.id)).toEqual(['w_1', 'w_2']);
    const left = reduceRoomState(state, { type: 'lobby.left', waiting_id: 'w_1', reason: 'admitted', by: 'p_me' });
    expect(left.lobby.map((p) => p.id)).toEqual(['w_2']);
  });

  it.each<ServerMessage>([
    { type: 'publish.answer', sdp: 'v=0' },
    { type: 'subscriber.offer', sdp: 'v=0', streams: [] },
    { type: 'trickle', target: 'subscriber', candidate: { candidate: 'candidate:1' } },
    { type: 'media.interrupted', reason: 'janus_lost' },
    { type: 'media.reset', reason: 'janus_restarted' },
    { type: 'caption', participant_id: 'p_ann', segment_id: 's1', kind: 'final', text: 'Bonjour', words: [] },
    { type: 'captions.translation', enabled: true, reply_to: 3 },
    { type: 'error', code: 'forbidden', message: 'no', fatal: false },
    { type: 'pong' },
    { type: 'subscription.state', streams: [{ mid: 'v1', layer: 'low' }], reply_to: 4 },
    { type: 'reaction', participant_id: 'p_ann', reaction: 'clap' },
    { type: 'transcription.state', active: true, started_at: '2026-12-02T10:00:00Z', started_by: 'p_me' },
    { type: 'ice.servers', ice_servers: [], refresh_seconds: 2700, reply_to: 5 },
    { type: 'resume.token', token: 'r1.payload.signature' },
  ])('$type leaves the room state as it is', (message) => {
    expect(reduceRoomState(inRoom, message)).toBe(inRoom);
  });

  it('speaking: joined says who speaks, then each start goes at the end and each stop takes one out', () => {
    expect(inRoom.speaking).toEqual(['p_ann']);
    const both = reduce({ type: 'speaking', participant_id: 'p_me', speaking: true });
    expect(both.speaking).toEqual(['p_ann', 'p_me']);
    expect(reduceRoomState(both, { type: 'speaking', participant_id: 'p_me', speaking: true })).toBe(both);
    expect(reduceRoomState(both, { type: 'speaking', participant_id: 'p_ann', speaking: false }).speaking).toEqual(['p_me']);
  });

  it('participant.left: one who leaves stops speaking', () => {
    expect(reduce({ type: 'participant.left', participant_id: 'p_ann', reason: 'left' }).speaking).toEqual([]);
  });

  it('handles every server message in the protocol schema', () => {
    const definitions = schema.definitions as Record<string, { properties?: { type?: { const?: string } } }>;
    const types = schema.definitions.ServerMessage.oneOf.map(
      ({ $ref }) => definitions[$ref.split('/').pop() ?? '']?.properties?.type?.const,
    );
    const tested = [
      'joined',
      'participant.joined',
      'participant.updated',
      'participant.left',
      'captions.state',
      'room.state',
      'moderated',
      'lobby.waiting',
      'lobby.knock',
      'lobby.list',
      'lobby.left',
      'publish.answer',
      'subscriber.offer',
      'trickle',
      'media.interrupted',
      'media.reset',
      'caption',
      'captions.translation',
      'error',
      'pong',
      'subscription.state',
      'speaking',
      'chat.message',
      'chat.deleted',
      'reaction',
      'recording.state',
      'transcription.state',
      'ice.servers',
      'resume.token',
    ];
    expect([...types].sort()).toEqual([...tested].sort());
  });
});

describe('withOwnHand', () => {
  it('raises and lowers your hand, keeping the rest of you', () => {
    const raised = withOwnHand(inRoom, '2026-01-01T10:05:00Z');
    expect(raised.self).toEqual({ ...me, hand_raised_at: '2026-01-01T10:05:00Z' });
    expect(raised.participants).toBe(inRoom.participants);
    expect(withOwnHand(raised, null).self).toEqual(me);
  });

  it('does nothing before joining', () => {
    expect(withOwnHand(INITIAL_ROOM_STATE, '2026-01-01T10:05:00Z')).toBe(INITIAL_ROOM_STATE);
  });
});

describe('withConnectionLost', () => {
  it('forgets the lobby, and keeps the state as it is when it was empty', () => {
    const state = reduce({ type: 'lobby.list', waiting: [waiting('w_1')] });
    expect(withConnectionLost(state).lobby).toEqual([]);
    expect(withConnectionLost(inRoom)).toBe(inRoom);
  });
});

describe('sameParticipants', () => {
  it('compares by id, in any order', () => {
    expect(sameParticipants([ann, bob], [bob, { ...ann, audio: false }])).toBe(true);
    expect(sameParticipants([ann], [ann, bob])).toBe(false);
    expect(sameParticipants([ann], [bob])).toBe(false);
  });
});

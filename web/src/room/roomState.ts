import type { CaptionsInfo, ParticipantInfo, ServerMessage, WaitingPersonInfo, WaitReason } from './protocol';

/** The room's lock, and who set it last (absent until someone does). */
export interface RoomLockState {
  locked: boolean;
  setBy?: string;
}

/**
 * What one participant knows of the room, as the server last said: who is there (raised hands
 * included), the lobby, the subtitles, the lock, and their own place (`self`, moderator or not).
 * Changed only by `reduceRoomState` and the helpers below, each returning a new state: an unchanged
 * part keeps its identity, so a reader can compare parts with `!==` to see what changed.
 */
export interface RoomState {
  /** You, as the server knows you (null before `joined`): your role, whether you moderate, your hand. */
  self: ParticipantInfo | null;
  /** Everyone else in the room, in order of arrival. */
  participants: ParticipantInfo[];
  /** The meeting's subtitles. */
  captions: CaptionsInfo;
  lock: RoomLockState;
  /** Why you wait in the lobby, or null when you do not. */
  waiting: WaitReason | null;
  /** Moderators: the people waiting in the lobby, in the order they knocked. */
  lobby: WaitingPersonInfo[];
  /** Who is speaking now (you included), as the server hears it, in the order they started. */
  speaking: string[];
}

export const CAPTIONS_OFF: CaptionsInfo = { enabled: false, language: 'auto' };

export const INITIAL_ROOM_STATE: RoomState = {
  self: null,
  participants: [],
  captions: CAPTIONS_OFF,
  lock: { locked: false },
  waiting: null,
  lobby: [],
  speaking: [],
};

/** The room state after one server message; messages that are not about the room leave it as it is. */
export function reduceRoomState(state: RoomState, message: ServerMessage): RoomState {
  switch (message.type) {
    case 'joined':
      return {
        ...state,
        self: message.participant,
        participants: message.participants.filter((p) => p.id !== message.participant.id),
        captions: message.captions,
        lock: { locked: message.locked },
        waiting: null,
        speaking: message.speaking,
      };
    case 'participant.joined':
      if (message.participant.id === state.self?.id) return state;
      return { ...state, participants: upsert(state.participants, message.participant) };
    case 'participant.updated':
      if (message.participant.id === state.self?.id) return { ...state, self: message.participant };
      return { ...state, participants: upsert(state.participants, message.participant) };
    case 'participant.left':
      if (!state.participants.some((p) => p.id === message.participant_id)) return state;
      return {
        ...state,
        participants: state.participants.filter((p) => p.id !== message.participant_id),
        speaking: withSpeaking(state.speaking, message.participant_id, false),
      };
    case 'captions.state':
      return { ...state, captions: message.captions };
    case 'room.state':
      return { ...state, lock: message.set_by ? { locked: message.locked, setBy: message.set_by } : { locked: message.locked } };
    case 'moderated':
      // The server lowers the hand and tells only the others; the other actions are the client's to carry out.
      return message.action === 'lower_hand' ? withOwnHand(state, null) : state;
    case 'lobby.waiting':
      return { ...state, waiting: message.reason };
    case 'lobby.knock':
      return { ...state, lobby: [...state.lobby.filter((p) => p.id !== message.waiting.id), message.waiting] };
    case 'lobby.list':
      return { ...state, lobby: message.waiting };
    case 'lobby.left':
      return { ...state, lobby: state.lobby.filter((p) => p.id !== message.waiting_id) };
    case 'speaking': {
      const speaking = withSpeaking(state.speaking, message.participant_id, message.speaking);
      return speaking === state.speaking ? state : { ...state, speaking };
    }
    case 'publish.answer':
    case 'subscriber.offer':
    case 'trickle':
    case 'media.interrupted':
    case 'media.reset':
    case 'caption':
    case 'captions.translation':
    case 'error':
    case 'pong':
    case 'subscription.state':
    case 'chat.message':
    case 'chat.deleted':
    case 'reaction':
    case 'recording.state':
    case 'transcription.state':
    case 'ice.servers':
    case 'resume.token':
      return state;
  }
}

/**
 * Your hand raised at `raisedAt` (an ISO time), or lowered (null). The server tells only the
 * others, so the client keeps its own hand itself.
 */
export function withOwnHand(state: RoomState, raisedAt: string | null): RoomState {
  if (!state.self) return state;
  const { hand_raised_at: _previous, ...rest } = state.self;
  return { ...state, self: raisedAt ? { ...rest, hand_raised_at: raisedAt } : rest };
}

/** The state once the WebSocket dropped: the server forgets the participant, and its lobby view with it. */
export function withConnectionLost(state: RoomState): RoomState {
  return state.lobby.length ? { ...state, lobby: [] } : state;
}

/** Whether two lists hold the same participants (by id, in any order). */
export function sameParticipants(a: readonly ParticipantInfo[], b: readonly ParticipantInfo[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(a.map((p) => p.id));
  return b.every((p) => ids.has(p.id));
}

function upsert(participants: ParticipantInfo[], participant: ParticipantInfo): ParticipantInfo[] {
  const index = participants.findIndex((p) => p.id === participant.id);
  if (index === -1) return [...participants, participant];
  return participants.map((p, i) => (i === index ? participant : p));
}

/** The speaking list with one person started (at the end) or stopped; the same list when nothing changed. */
function withSpeaking(speaking: string[], participantId: string, now: boolean): string[] {
  if (now === speaking.includes(participantId)) return speaking;
  return now ? [...speaking, participantId] : speaking.filter((id) => id !== participantId);
}

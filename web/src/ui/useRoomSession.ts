import { useEffect, useState } from 'react';
import type { CaptionsInfo, ParticipantInfo, WaitingPersonInfo } from '../room/protocol';
import type { RemoteTrack } from '../room/remoteStreams';
import type { ConnectionStatus, LocalMediaState, RoomLockState, RoomSession, ServerNotice } from '../room/session';

export interface RoomSessionState {
  status: ConnectionStatus;
  /** Why the server makes you wait while (re)connecting, when it said. */
  serverNotice: ServerNotice;
  self: ParticipantInfo | null;
  participants: ParticipantInfo[];
  tracks: RemoteTrack[];
  local: LocalMediaState;
  /** The meeting's subtitles: on or off, and in which language. */
  captions: CaptionsInfo;
  /** Whether a moderator locked the room, and who. */
  lock: RoomLockState;
  /** Why you wait in the lobby, or null once in the meeting. */
  waiting: string | null;
  /** Moderators: who waits in the lobby. */
  lobby: WaitingPersonInfo[];
  /** Who is speaking now (you included), as the server hears it. */
  speaking: string[];
}

function snapshot(session: RoomSession): RoomSessionState {
  return {
    status: session.status,
    serverNotice: session.serverNotice,
    self: session.self,
    participants: session.participants,
    tracks: session.remoteTracks,
    local: session.localState,
    captions: session.captions,
    lock: session.lock,
    waiting: session.waiting,
    lobby: session.lobby,
    speaking: session.speaking,
  };
}

/** The session's state as React state, updated on each of its events. */
export function useRoomSession(session: RoomSession): RoomSessionState {
  const [state, setState] = useState(() => snapshot(session));
  useEffect(() => {
    setState(snapshot(session));
    const update = <K extends keyof RoomSessionState>(key: K) => (value: RoomSessionState[K]) =>
      setState((previous) => ({ ...previous, [key]: value }));
    const offs = [
      session.on('status', update('status')),
      session.on('server-notice', update('serverNotice')),
      session.on('self', update('self')),
      session.on('participants', update('participants')),
      session.on('tracks', update('tracks')),
      session.on('local', update('local')),
      session.on('captions', update('captions')),
      session.on('lock', update('lock')),
      session.on('waiting', update('waiting')),
      session.on('lobby', update('lobby')),
      session.on('speaking', update('speaking')),
    ];
    return () => offs.forEach((off) => off());
  }, [session]);
  return state;
}

import { useEffect, useState } from 'react';
import type { RecordingInfo } from '../room/protocol';
import type { RoomSession } from '../room/session';

/** The meeting's recording, as the server last said (`recording.state`, `joined.recording`). */
export function useRecording(session: RoomSession): RecordingInfo {
  const [recording, setRecording] = useState<RecordingInfo>(session.recording);
  useEffect(() => {
    setRecording(session.recording);
    return session.on('recording', setRecording);
  }, [session]);
  return recording;
}

import { useEffect, useRef } from 'react';

interface SinkCapable {
  setSinkId?: (sinkId: string) => Promise<void>;
}

/** Plays one remote participant's microphone, on the chosen speaker where the browser allows it. */
export function RemoteAudio({
  participantId,
  stream,
  speakerId,
}: {
  participantId: string;
  stream: MediaStream;
  speakerId: string | undefined;
}) {
  const ref = useRef<HTMLAudioElement>(null);

  useEffect(() => {
    const audio = ref.current;
    if (!audio) return;
    audio.srcObject = stream;
    void audio.play().catch((error: unknown) => console.warn('visio: remote audio did not start', error));
  }, [stream]);

  useEffect(() => {
    const audio = ref.current as (HTMLAudioElement & SinkCapable) | null;
    if (!audio || !speakerId || typeof audio.setSinkId !== 'function') return;
    audio.setSinkId(speakerId).catch((error: unknown) => console.warn('visio: cannot use the chosen speaker', error));
  }, [speakerId]);

  return <audio ref={ref} autoPlay data-testid="remote-audio" data-participant-id={participantId} />;
}

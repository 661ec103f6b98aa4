import { useEffect, useState } from 'react';
import { audioContext, AudioLevelMeter } from '../media/audioLevel';

/** The level (0 to 1) of an audio track, sampled every `intervalMs`; 0 without a track. */
export function useAudioLevel(track: MediaStreamTrack | null | undefined, intervalMs = 100): number {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    setLevel(0);
    if (!track || track.readyState === 'ended') return;
    const context = audioContext();
    if (!context) return;
    let meter: AudioLevelMeter;
    try {
      meter = new AudioLevelMeter(context, track);
    } catch (error) {
      console.warn('visio: cannot measure an audio level', error);
      return;
    }
    const timer = setInterval(() => {
      const next = track.enabled ? meter.read() : 0;
      // Quantised so that React re-renders only on visible changes.
      setLevel(Math.round(next * 20) / 20);
    }, intervalMs);
    return () => {
      clearInterval(timer);
      meter.close();
    };
  }, [track, intervalMs]);
  return level;
}

/** Whether someone is speaking: a level above a threshold. */
export const SPEAKING_LEVEL = 0.1;

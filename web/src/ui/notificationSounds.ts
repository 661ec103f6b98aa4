import { audioContext } from '../media/audioLevel';

/**
 * Short sounds when someone joins or leaves, made with WebAudio (nothing is downloaded): a rising
 * pair of notes for an arrival, a falling pair for a departure. Only in small meetings: in a large
 * one people come and go all the time and the sounds would be noise.
 */

/** Sounds play while the meeting (you included) has at most this many people. */
export const SOUND_MAX_PARTICIPANTS = 6;

const SOUNDS_KEY = 'visio.sounds';

/** Whether this person wants the join and leave sounds (on unless they turned them off). */
export function loadSoundsEnabled(): boolean {
  try {
    return window.localStorage.getItem(SOUNDS_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function saveSoundsEnabled(enabled: boolean): void {
  try {
    window.localStorage.setItem(SOUNDS_KEY, enabled ? 'on' : 'off');
  } catch {
    // Storage disabled: the choice lasts for this page only.
  }
}

/** Whether a join or leave should sound: sounds on, and a small meeting (counting you). */
export const shouldPlaySound = (enabled: boolean, peopleCount: number): boolean =>
  enabled && peopleCount <= SOUND_MAX_PARTICIPANTS;

export type PresenceSound = 'joined' | 'left';

/** The two notes (Hz) of each sound. */
export const PRESENCE_NOTES: Record<PresenceSound, readonly [number, number]> = {
  joined: [660, 880],
  left: [880, 587],
};

/** How many sounds have played on this page (read by the browser tests through data-sounds). */
let played = 0;
export const soundsPlayed = (): number => played;

/** Plays the sound; quietly does nothing where WebAudio is missing. */
export function playPresenceSound(sound: PresenceSound): void {
  const context = audioContext();
  if (!context) return;
  const start = context.currentTime + 0.01;
  const gain = context.createGain();
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.32);
  gain.connect(context.destination);
  PRESENCE_NOTES[sound].forEach((frequency, index) => {
    const oscillator = context.createOscillator();
    oscillator.type = 'sine';
    oscillator.frequency.value = frequency;
    oscillator.connect(gain);
    oscillator.start(start + index * 0.12);
    oscillator.stop(start + 0.12 + index * 0.2);
  });
  setTimeout(() => gain.disconnect(), 600);
  played += 1;
}

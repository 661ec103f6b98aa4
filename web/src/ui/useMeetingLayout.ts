import { useEffect, useRef, useState } from 'react';
import { effectiveLayout, rememberSpeakers, type LayoutName, type LayoutTile, type PreferredLayout } from './layouts';
import { loadLayoutPreferences, saveLayoutPreferences, type LayoutPreferences } from './preferences';

/** This viewer's layout: their choice (remembered), screen focus, their pin, recent speakers. */
export interface MeetingLayout {
  /** The layout shown now. */
  layout: LayoutName;
  /** Switch layout; leaving screen focus holds until another share starts. */
  choose: (layout: LayoutName) => void;
  /** Screen focus can be chosen (someone shares). */
  screenAvailable: boolean;
  hideSelf: boolean;
  setHideSelf: (hide: boolean) => void;
  /** The participant this viewer pinned, while present. */
  pinned: string | null;
  setPinned: (participantId: string | null) => void;
  /** Participant ids, the most recent to start speaking first. */
  recentSpeakers: string[];
}

export function useMeetingLayout(screens: readonly LayoutTile[], speaking: readonly string[], present: readonly string[]): MeetingLayout {
  const [preferences, setPreferences] = useState<LayoutPreferences>(loadLayoutPreferences);
  const [dismissedScreens, setDismissedScreens] = useState<string[]>([]);
  const [pinned, setPinned] = useState<string | null>(null);
  const [recentSpeakers, setRecentSpeakers] = useState<string[]>([]);
  const previousSpeaking = useRef<readonly string[]>([]);
  const presentKey = present.join(' ');

  useEffect(() => {
    const before = previousSpeaking.current;
    previousSpeaking.current = speaking;
    setRecentSpeakers((recent) => rememberSpeakers(recent, before, speaking, presentKey.split(' ')));
  }, [speaking, presentKey]);

  const update = (change: Partial<LayoutPreferences>) =>
    setPreferences((previous) => {
      const next = { ...previous, ...change };
      saveLayoutPreferences(next);
      return next;
    });

  const choose = (layout: LayoutName) => {
    if (layout === 'screen') return setDismissedScreens([]);
    setDismissedScreens(screens.map((screen) => screen.key));
    update({ layout: layout satisfies PreferredLayout });
  };

  return {
    layout: effectiveLayout(preferences.layout, screens, dismissedScreens),
    choose,
    screenAvailable: screens.length > 0,
    hideSelf: preferences.hideSelf,
    setHideSelf: (hideSelf) => update({ hideSelf }),
    pinned: pinned !== null && present.includes(pinned) ? pinned : null,
    setPinned,
    recentSpeakers,
  };
}

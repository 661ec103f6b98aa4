import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { CaptionStore, nextOverlayExpiry, overlayLines, type CaptionLine, type CaptionSnapshot } from '../room/captionStore';
import type { RoomSession } from '../room/session';

/**
 * The subtitles this session receives, kept for as long as the session: every caption goes into
 * the store (whether or not the person shows them), named after the participant who spoke.
 */
export function useCaptionStore(session: RoomSession): { store: CaptionStore; snapshot: CaptionSnapshot } {
  const store = useMemo(() => new CaptionStore(), [session]);
  useEffect(() => {
    const remember = () => {
      if (session.self) store.rememberParticipants([session.self]);
      store.rememberParticipants(session.participants);
    };
    remember();
    const offs = [
      session.on('self', remember),
      session.on('participants', remember),
      session.on('caption', (caption) => store.apply(caption)),
      session.on('captions', (captions) => {
        if (!captions.enabled) store.dropLive();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [session, store]);
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return { store, snapshot };
}

/** The lines to show over the stage, updated as new words come and as old lines fade. */
export function useOverlayLines(snapshot: CaptionSnapshot): CaptionLine[] {
  const [tick, setTick] = useState(0);
  // `tick` changes when a line ages out: read the clock again.
  const lines = useMemo(() => overlayLines(snapshot, Date.now()), [snapshot, tick]);
  useEffect(() => {
    const at = nextOverlayExpiry(lines);
    if (at === null) return;
    const timer = setTimeout(() => setTick((n) => n + 1), Math.max(0, at - Date.now()) + 50);
    return () => clearTimeout(timer);
  }, [lines]);
  return lines;
}

/**
 * Keeps a scrolling element at its bottom as content arrives, unless the person scrolled up to read;
 * `stuck` says whether it follows, `follow()` scrolls back down and follows again.
 */
export function useStickToBottom<T extends HTMLElement>(content: unknown) {
  const ref = useRef<T>(null);
  const [stuck, setStuck] = useState(true);
  const stuckRef = useRef(true);

  useEffect(() => {
    const element = ref.current;
    if (element && stuckRef.current) element.scrollTop = element.scrollHeight;
  }, [content]);

  const onScroll = () => {
    const element = ref.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
    stuckRef.current = atBottom;
    setStuck(atBottom);
  };

  const follow = () => {
    const element = ref.current;
    stuckRef.current = true;
    setStuck(true);
    if (element) element.scrollTop = element.scrollHeight;
  };

  return { ref, stuck, onScroll, follow };
}

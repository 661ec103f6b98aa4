import { useEffect } from 'react';
import { capCameraLayers, planAllHigh, planLayers, type ReceivedVideo, type RenderedTile } from '../room/layerPlanner';
import type { Layer } from '../room/protocol';
import type { RemoteTrack } from '../room/remoteStreams';
import type { RoomSession } from '../room/session';

/** Layout changes come in bursts (a resize, people arriving): plan once per burst, this long after
 * its first change (not reset by later ones: the page changes often, a plan must still come). */
const DEBOUNCE_MS = 250;
/** Every remote video tile's root element (Tile.tsx). */
const TILE_SELECTOR = '[data-participant-id][data-source][data-local="false"]';

/**
 * Whether the page chooses the layers it receives. A debugging aid, and the bench's "without" case:
 * `?layers=off` in the address, or `localStorage['visio.layers'] = 'off'`, receives every video at
 * the high layer as a client without layer selection would.
 */
export function layerSelectionEnabled(): boolean {
  try {
    if (new URLSearchParams(window.location.search).get('layers') === 'off') return false;
    return window.localStorage.getItem('visio.layers') !== 'off';
  } catch {
    return true; // storage can be disabled
  }
}

function receivedVideos(tracks: readonly RemoteTrack[]): ReceivedVideo[] {
  const videos: ReceivedVideo[] = [];
  for (const track of tracks) {
    if (track.kind === 'video' && (track.source === 'camera' || track.source === 'screen')) {
      videos.push({ mid: track.mid, participantId: track.participantId, source: track.source });
    }
  }
  return videos;
}

function renderedTiles(): RenderedTile[] {
  const ratio = window.devicePixelRatio || 1;
  const tiles: RenderedTile[] = [];
  for (const element of document.querySelectorAll<HTMLElement>(TILE_SELECTOR)) {
    const source = element.dataset.source;
    const participantId = element.dataset.participantId;
    if (!participantId || (source !== 'camera' && source !== 'screen')) continue;
    const rect = element.getBoundingClientRect();
    tiles.push({
      participantId,
      source,
      width: rect.width * ratio,
      height: rect.height * ratio,
      onScreen: rect.bottom > 0 && rect.right > 0 && rect.top < window.innerHeight && rect.left < window.innerWidth,
      pinned: element.dataset.pinned === 'true',
      speaking: element.dataset.speaking === 'true',
    });
  }
  return tiles;
}

/**
 * Receives each remote video at the layer its tile needs, nothing for videos not shown, and no
 * video at all while the page is hidden (`layerPlanner.ts`). Watches the tiles' sizes, tiles coming
 * and going, scrolling, the window and the page's visibility. `cameraCap` is the highest camera
 * layer the link allows (`useLinkAdaptation`): `low` on a poor link, `off` for audio only.
 */
export function useLayerSelection(session: RoomSession, tracks: readonly RemoteTrack[], cameraCap: Layer = 'high'): void {
  useEffect(() => {
    const videos = receivedVideos(tracks);
    if (!layerSelectionEnabled()) {
      session.setVideoLayers(capCameraLayers(planAllHigh(videos), videos, cameraCap));
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const plan = () => {
      timer = undefined;
      const planned = planLayers(videos, renderedTiles(), { pageVisible: document.visibilityState === 'visible' });
      session.setVideoLayers(capCameraLayers(planned, videos, cameraCap));
    };
    const schedule = () => {
      if (timer === undefined) timer = setTimeout(plan, DEBOUNCE_MS);
    };
    const resizes = new ResizeObserver(schedule);
    const observeTiles = () => {
      resizes.disconnect();
      for (const element of document.querySelectorAll(TILE_SELECTOR)) resizes.observe(element);
    };
    // Tiles come and go (layouts, pinning, people): observe the new ones and plan again.
    const mutations = new MutationObserver(() => {
      observeTiles();
      schedule();
    });
    mutations.observe(document.body, { childList: true, subtree: true, attributeFilter: ['data-pinned', 'data-source'] });
    observeTiles();
    window.addEventListener('resize', schedule);
    document.addEventListener('scroll', schedule, { capture: true, passive: true });
    document.addEventListener('visibilitychange', plan); // hiding stops video at once
    plan();
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      resizes.disconnect();
      mutations.disconnect();
      window.removeEventListener('resize', schedule);
      document.removeEventListener('scroll', schedule, { capture: true });
      document.removeEventListener('visibilitychange', plan);
    };
  }, [session, tracks, cameraCap]);
}

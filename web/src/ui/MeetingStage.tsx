import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { ChevronLeftIcon, ChevronRightIcon } from './icons';
import { bestGrid } from './layout';
import { arrangeTiles, gridTileWidth, GRID_GAP, stripTileWidth, type Area } from './layouts';
import { Tile, type TileModel } from './Tile';
import type { MeetingLayout } from './useMeetingLayout';

interface MeetingStageProps {
  /** Shared screens. */
  screens: TileModel[];
  /** One camera tile per person, you first. */
  cameras: TileModel[];
  /** Who speaks now (participant ids). */
  speaking: readonly string[];
  view: MeetingLayout;
}

/** Room the page buttons take under a paged grid. */
const PAGER_HEIGHT = 48;

/** The size of an element, followed as it changes. */
function useElementSize() {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<Area>({ width: 0, height: 0 });
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => setSize({ width: element.clientWidth, height: element.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, size };
}

/**
 * The tiles in the layout chosen (`layouts.ts` decides; this only draws): a paged grid, or one
 * speaker or the shared screens large over a filmstrip. Tiles not shown are not rendered.
 */
export function MeetingStage({ screens, cameras, speaking, view }: MeetingStageProps) {
  const { t } = useI18n();
  const { ref, size } = useElementSize();
  const [page, setPage] = useState(0);

  const arrange = (area: Area) =>
    arrangeTiles({
      layout: view.layout,
      cameras,
      screens,
      recentSpeakers: view.recentSpeakers,
      pinned: view.pinned,
      hideSelf: view.hideSelf,
      page,
      area,
    });
  let arrangement = arrange(size);
  const paged = arrangement.layout === 'grid' && arrangement.pageCount > 1;
  if (paged) arrangement = arrange({ width: size.width, height: size.height - PAGER_HEIGHT });

  const tile = (model: TileModel) => (
    <Tile
      key={model.key}
      tile={model}
      speaking={speaking.includes(model.participantId)}
      pinned={view.pinned === model.participantId && model.source === 'camera'}
      onPin={(pin) => view.setPinned(pin ? model.participantId : null)}
    />
  );

  return (
    <div ref={ref} className={`layout layout--${arrangement.layout}`} data-testid="layout" data-layout={arrangement.layout}>
      {arrangement.layout === 'grid' ? (
        <>
          <GridPage tiles={arrangement.main} area={{ width: size.width, height: size.height - (paged ? PAGER_HEIGHT : 0) }} render={tile} />
          {paged && (
            <nav className="pager" aria-label={t.pageOf(arrangement.page + 1, arrangement.pageCount)}>
              <button
                type="button"
                className="icon-button pager__button"
                data-testid="page-previous"
                aria-label={t.previousPage}
                title={t.previousPage}
                disabled={arrangement.page === 0}
                onClick={() => setPage(arrangement.page - 1)}
              >
                <ChevronLeftIcon />
              </button>
              <span className="pager__label" data-testid="page-label" aria-live="polite">
                {t.pageOf(arrangement.page + 1, arrangement.pageCount)}
              </span>
              <button
                type="button"
                className="icon-button pager__button"
                data-testid="page-next"
                aria-label={t.nextPage}
                title={t.nextPage}
                disabled={arrangement.page >= arrangement.pageCount - 1}
                onClick={() => setPage(arrangement.page + 1)}
              >
                <ChevronRightIcon />
              </button>
            </nav>
          )}
        </>
      ) : (
        <>
          <div className="layout__main" data-testid="layout-main">
            {arrangement.main.map(tile)}
          </div>
          {arrangement.strip.length > 0 && (
            <div
              className="filmstrip"
              data-testid="filmstrip"
              style={{ gridAutoColumns: `${stripTileWidth(size.width)}px` }}
            >
              {arrangement.strip.map(tile)}
              {arrangement.stripHidden > 0 && (
                <span className="filmstrip__more" data-testid="filmstrip-more">
                  {t.moreInFilmstrip(arrangement.stripHidden)}
                </span>
              )}
            </div>
          )}
        </>
      )}
    </div>
  );
}

/** One page of the grid, each tile as large as the space allows. */
function GridPage({ tiles, area, render }: { tiles: TileModel[]; area: Area; render: (tile: TileModel) => ReactNode }) {
  const { cols, rows } = bestGrid(tiles.length, area.width, area.height);
  const width = gridTileWidth(cols, rows, area);
  return (
    <div className="grid">
      <div className="grid__inner" style={{ gridTemplateColumns: `repeat(${cols}, ${Math.floor(width)}px)`, gap: GRID_GAP }}>
        {tiles.map(render)}
      </div>
    </div>
  );
}

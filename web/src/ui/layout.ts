/** Sizing the tile grid. */

/**
 * The grid (columns × rows) that gives `count` tiles of `aspect` (width / height) the largest size
 * in a `width` × `height` area.
 */
export function bestGrid(count: number, width: number, height: number, aspect = 16 / 9): { cols: number; rows: number } {
  if (count <= 1 || width <= 0 || height <= 0) return { cols: 1, rows: Math.max(1, count) };
  let best = { cols: 1, rows: count, size: 0 };
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    const tileWidth = Math.min(width / cols, (height / rows) * aspect);
    if (tileWidth > best.size + 0.5) best = { cols, rows, size: tileWidth };
  }
  return { cols: best.cols, rows: best.rows };
}

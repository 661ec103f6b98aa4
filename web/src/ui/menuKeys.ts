/**
 * Where focus goes in a menu of `count` items when a key is pressed on item `current` (WAI-ARIA
 * menu pattern: arrows wrap, Home and End jump); null for keys the menu does not handle.
 */
export function menuFocusIndex(key: string, current: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case 'ArrowDown':
      return (current + 1) % count;
    case 'ArrowUp':
      return (current - 1 + count) % count;
    case 'Home':
    case 'PageUp':
      return 0;
    case 'End':
    case 'PageDown':
      return count - 1;
    default:
      return null;
  }
}

/** Where to put a menu of `size` next to its button at `anchor`, inside a viewport of `viewport`. */
export function menuPosition(
  anchor: { top: number; bottom: number; right: number },
  size: { width: number; height: number },
  viewport: { width: number; height: number },
  margin = 8,
): { top: number; left: number } {
  const gap = 4;
  const below = anchor.bottom + gap;
  const fitsBelow = below + size.height <= viewport.height - margin;
  const above = anchor.top - gap - size.height;
  const top = fitsBelow || above < margin ? Math.max(margin, Math.min(below, viewport.height - margin - size.height)) : above;
  const left = Math.max(margin, Math.min(anchor.right - size.width, viewport.width - margin - size.width));
  return { top, left };
}

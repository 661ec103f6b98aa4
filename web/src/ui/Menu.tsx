import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { menuFocusIndex, menuPosition } from './menuKeys';

export interface MenuItem {
  key: string;
  label: string;
  icon?: ReactNode;
  testId?: string;
  /** Shown in the danger colour (remove someone, end the meeting). */
  danger?: boolean;
  /** A choice among several (`radio`) or an option on or off (`checkbox`), with its state. */
  kind?: 'radio' | 'checkbox';
  checked?: boolean;
  onSelect: () => void;
}

interface MenuButtonProps {
  /** The button's accessible name, e.g. "More actions for Bob". */
  label: string;
  testId: string;
  className: string;
  title?: string;
  items: MenuItem[];
  /** What the button shows (an icon). */
  children: ReactNode;
}

/**
 * A button that opens a menu (WAI-ARIA menu button): focus moves into the menu, arrows move
 * within it, Escape closes it and focus returns to the button. The menu is rendered inside the
 * button's parent (so it belongs to, say, a participant's row) but placed with fixed coordinates,
 * so that no scrolling list clips it.
 */
export function MenuButton({ label, testId, className, title, items, children }: MenuButtonProps) {
  const [open, setOpen] = useState<'first' | 'last' | null>(null);
  const [position, setPosition] = useState<{ top: number; left: number } | null>(null);
  const wrapper = useRef<HTMLSpanElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const menuId = useId();

  const close = (refocus: boolean) => {
    setOpen(null);
    setPosition(null);
    if (refocus) button.current?.focus();
  };

  const menuItems = () => [...(menu.current?.querySelectorAll<HTMLButtonElement>('[role^="menuitem"]') ?? [])];

  useLayoutEffect(() => {
    if (!open || !menu.current || !button.current) return;
    const anchor = button.current.getBoundingClientRect();
    const size = menu.current.getBoundingClientRect();
    setPosition(menuPosition(anchor, size, { width: window.innerWidth, height: window.innerHeight }));
  }, [open]);

  // Once placed (and visible), the menu takes the focus.
  const placed = position !== null;
  useLayoutEffect(() => {
    if (!open || !placed) return;
    const list = menuItems();
    (open === 'last' ? list[list.length - 1] : list[0])?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when it opens, not on re-renders
  }, [placed]);

  useEffect(() => {
    if (!open) return;
    const onPointerDown = (event: PointerEvent) => {
      if (!wrapper.current?.contains(event.target as Node)) close(false);
    };
    // The menu is placed once; when the page moves under it, it would float away from its button.
    const onMove = (event: Event) => {
      if (!menu.current?.contains(event.target as Node)) close(false);
    };
    document.addEventListener('pointerdown', onPointerDown);
    window.addEventListener('resize', onMove);
    document.addEventListener('scroll', onMove, true);
    return () => {
      document.removeEventListener('pointerdown', onPointerDown);
      window.removeEventListener('resize', onMove);
      document.removeEventListener('scroll', onMove, true);
    };
  }, [open]);

  const onMenuKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    }
    if (event.key === 'Tab') {
      close(false);
      return;
    }
    const list = menuItems();
    const next = menuFocusIndex(event.key, list.indexOf(document.activeElement as HTMLButtonElement), list.length);
    if (next === null) return;
    event.preventDefault();
    list[next]?.focus();
  };

  return (
    <span
      ref={wrapper}
      className="menu-anchor"
      onBlur={(event) => {
        if (open && !wrapper.current?.contains(event.relatedTarget as Node | null) && event.relatedTarget) close(false);
      }}
    >
      <button
        ref={button}
        type="button"
        className={className}
        data-testid={testId}
        aria-label={label}
        title={title ?? label}
        aria-haspopup="menu"
        aria-expanded={open !== null}
        aria-controls={open ? menuId : undefined}
        onClick={() => (open ? close(true) : setOpen('first'))}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            event.preventDefault();
            setOpen(event.key === 'ArrowUp' ? 'last' : 'first');
          }
        }}
      >
        {children}
      </button>
      {open && (
        <div
          ref={menu}
          id={menuId}
          className="menu"
          role="menu"
          aria-label={label}
          style={position ? { top: position.top, left: position.left } : { visibility: 'hidden' }}
          onKeyDown={onMenuKeyDown}
        >
          {items.map((item) => (
            <button
              key={item.key}
              type="button"
              role={item.kind ? `menuitem${item.kind}` : 'menuitem'}
              aria-checked={item.kind ? Boolean(item.checked) : undefined}
              tabIndex={-1}
              className={`menu__item ${item.danger ? 'menu__item--danger' : ''}`}
              data-testid={item.testId}
              onClick={() => {
                close(true);
                item.onSelect();
              }}
            >
              {item.icon}
              <span>{item.label}</span>
            </button>
          ))}
        </div>
      )}
    </span>
  );
}

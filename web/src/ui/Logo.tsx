/** The Visio mark and name. */
export function Logo({ onDark = false }: { onDark?: boolean }) {
  return (
    <span className={`logo ${onDark ? 'logo--dark' : ''}`}>
      <svg width="32" height="32" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
        <rect width="32" height="32" rx="9" fill="var(--brand)" />
        <path d="M7 11.5A2.5 2.5 0 0 1 9.5 9h9a2.5 2.5 0 0 1 2.5 2.5v9a2.5 2.5 0 0 1-2.5 2.5h-9A2.5 2.5 0 0 1 7 20.5z" fill="#fff" />
        <path d="M22 14l4-2.5v9L22 18z" fill="#fff" />
      </svg>
      <span className="logo__name">Visio</span>
    </span>
  );
}

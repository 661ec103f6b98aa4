import { avatarColor, initials } from './avatar';

export function Avatar({ name, size = 'large' }: { name: string; size?: 'small' | 'large' }) {
  return (
    <span className={`avatar avatar--${size}`} style={{ background: avatarColor(name) }} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

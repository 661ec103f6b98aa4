/** Initials and a colour for a person without video; the colour is derived from the name. */

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...(words[0] ?? '')][0] ?? '';
  const last = words.length > 1 ? ([...(words[words.length - 1] ?? '')][0] ?? '') : '';
  return (first + last).toLocaleUpperCase();
}

/** A stable hue from the name; saturation 55 % and lightness 30 % keep white text above 4.5:1
 * contrast on every hue (yellow, the worst, gives 4.75:1; 36 % gave 3.5:1 there). */
export function avatarColor(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return `hsl(${hash % 360} 55% 30%)`;
}

/** Dates and durations as the person's language writes them. */

export function formatDateTime(iso: string, language: string): string {
  return new Date(iso).toLocaleString(language === 'fr' ? 'fr-FR' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

export function formatTime(iso: string, language: string): string {
  return new Date(iso).toLocaleTimeString(language === 'fr' ? 'fr-FR' : 'en-GB');
}

export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const minutes = Math.floor(total / 60);
  return `${minutes}:${String(total % 60).padStart(2, '0')}`;
}

/**
 * The origins allowed to embed this Visio (`VISIO_FRAME_ANCESTORS`), as the server wrote them in
 * index.html (`<meta name="visio-embed-origins">`, see src/visio/embed/bootstrap.py): already
 * normalised like `event.origin`, so one string comparison decides.
 */

export const EMBED_ORIGINS_META = 'visio-embed-origins';

/** The allowed origins listed in the page (none when the element is missing or empty). */
export function readAllowedOrigins(doc: Pick<Document, 'querySelector'>): string[] {
  const content = doc.querySelector(`meta[name="${EMBED_ORIGINS_META}"]`)?.getAttribute('content') ?? '';
  return content.split(/\s+/).filter((origin) => origin !== '' && origin !== 'null');
}

/** Whether `origin` (an `event.origin`) is exactly one of `allowed`; the opaque "null" never is. */
export function isAllowedOrigin(origin: string, allowed: readonly string[]): boolean {
  return origin !== 'null' && allowed.includes(origin);
}

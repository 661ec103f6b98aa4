import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { CheckIcon, CopyIcon } from './icons';

export function meetingLink(slug: string): string {
  return `${window.location.origin}/${encodeURIComponent(slug)}`;
}

export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Not allowed (e.g. insecure origin): fall back below.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

/** Copies the meeting's link and says so (politely, for screen readers too). */
export function CopyLinkButton({ slug, className = 'button button--secondary' }: { slug: string; className?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2500);
    return () => clearTimeout(timer);
  }, [copied]);

  return (
    <>
      <button
        type="button"
        className={className}
        data-testid="copy-link"
        onClick={() => void copyText(meetingLink(slug)).then(() => setCopied(true))}
      >
        {copied ? <CheckIcon size={20} /> : <CopyIcon size={20} />}
        {copied ? t.linkCopied : t.copyLink}
      </button>
      <span className="sr-only" aria-live="polite">
        {copied ? t.linkCopied : ''}
      </span>
    </>
  );
}

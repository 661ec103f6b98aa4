import { useI18n } from '../i18n/I18nProvider';
import { LanguageIcon } from './icons';

/** Switches between French and English; the choice is remembered. */
export function LanguageSwitch({ className = '' }: { className?: string }) {
  const { language, t, setLanguage } = useI18n();
  const other = language === 'fr' ? 'en' : 'fr';
  return (
    <button
      type="button"
      className={`button button--ghost language-switch ${className}`}
      onClick={() => setLanguage(other)}
      aria-label={`${t.switchLanguageShort}, ${t.switchLanguage}`}
      lang={other}
    >
      <LanguageIcon size={20} />
      <span aria-hidden="true">{t.switchLanguageShort}</span>
    </button>
  );
}

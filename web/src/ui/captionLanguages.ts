import type { Messages } from '../i18n/messages';
import type { CaptionLanguage } from '../room/protocol';

/** The languages a moderator can choose, in the order the menu lists them. */
export const CAPTION_LANGUAGES: readonly CaptionLanguage[] = ['auto', 'fr', 'en'];

/**
 * A spoken language's name. French and English are named in their own language (as language
 * menus do, so that each reader finds theirs); automatic detection in the interface's language.
 */
export function captionLanguageName(language: CaptionLanguage, t: Messages, short = false): string {
  switch (language) {
    case 'fr':
      return 'Français';
    case 'en':
      return 'English';
    case 'auto':
      return short ? t.captionLanguageAutoShort : t.captionLanguageAuto;
  }
}

/** The `lang` attribute for a language's name, so that screen readers pronounce it right. */
export function captionLanguageTag(language: CaptionLanguage): string | undefined {
  return language === 'auto' ? undefined : language;
}

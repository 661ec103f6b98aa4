import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { initialLanguage, MESSAGES, rememberLanguage, type Language, type Messages } from './messages';

interface I18n {
  language: Language;
  t: Messages;
  setLanguage: (language: Language) => void;
}

const I18nContext = createContext<I18n | null>(null);

function localStorageOrNull(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** Holds the chosen language, keeps `<html lang>` in step and remembers the choice. */
export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(() =>
    initialLanguage(localStorageOrNull(), navigator.languages?.length ? navigator.languages : [navigator.language]),
  );

  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  const setLanguage = useCallback((next: Language) => {
    rememberLanguage(localStorageOrNull(), next);
    setLanguageState(next);
  }, []);

  const value = useMemo(() => ({ language, t: MESSAGES[language], setLanguage }), [language, setLanguage]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n must be used inside <I18nProvider>');
  return i18n;
}

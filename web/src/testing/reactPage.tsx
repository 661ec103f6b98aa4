/**
 * One React page per test, for component tests in happy-dom: a container in the document, the
 * browser's language stubbed, the I18nProvider around what is shown, and everything undone after
 * each test (root unmounted, container removed, stubbed globals and spies restored).
 *
 * Call `reactPage()` once at the top of a test file; it installs its own beforeEach/afterEach.
 */
import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, vi } from 'vitest';
import { I18nProvider } from '../i18n/I18nProvider';

export interface ReactPageOptions {
  /** The browser's language (what `navigator.language` says); English unless told. */
  language?: string;
  /** More of `navigator` to stub (e.g. `mediaDevices`). */
  navigator?: Record<string, unknown>;
  /**
   * Whether React is told it runs inside act() (the default). Off (left unset) for tests that
   * render as the app does, where effects run in a later task than the commit.
   */
  actEnvironment?: boolean;
}

export interface ReactPage {
  /** The element the page renders into (a new one for each test). */
  readonly container: HTMLElement;
  /** Renders `node` (inside the I18nProvider) within act(), replacing what was shown. */
  show(node: ReactNode): void;
  /** As `show`, in an async act(): what the first render's effects start settles first. */
  showSettled(node: ReactNode): Promise<void>;
  /** Renders as the app does, outside act(): effects run in a later task. */
  showUnwrapped(node: ReactNode): void;
  /** Takes down what is shown; the next `show` mounts afresh. */
  unmount(): void;
  /** Changes the browser's language, for what is shown next. */
  setLanguage(language: string): void;
}

export function reactPage(options: ReactPageOptions = {}): ReactPage {
  let container: HTMLElement | null = null;
  let root: Root | null = null;
  const stubNavigator = (language: string) =>
    vi.stubGlobal('navigator', { ...navigator, ...options.navigator, language, languages: [language] });
  const rootFor = () => {
    if (!container) throw new Error('reactPage: used outside a test');
    root ??= createRoot(container);
    return root;
  };
  const wrapped = (node: ReactNode) => <I18nProvider>{node}</I18nProvider>;

  beforeEach(() => {
    const environment = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
    if (options.actEnvironment ?? true) environment.IS_REACT_ACT_ENVIRONMENT = true;
    else delete environment.IS_REACT_ACT_ENVIRONMENT;
    stubNavigator(options.language ?? 'en');
    container = document.createElement('div');
    document.body.append(container);
  });

  afterEach(() => {
    page.unmount();
    container?.remove();
    container = null;
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  const page: ReactPage = {
    get container() {
      if (!container) throw new Error('reactPage: used outside a test');
      return container;
    },
    show(node) {
      act(() => rootFor().render(wrapped(node)));
    },
    async showSettled(node) {
      await act(async () => {
        rootFor().render(wrapped(node));
      });
    },
    showUnwrapped(node) {
      rootFor().render(wrapped(node));
    },
    unmount() {
      const shown = root;
      root = null;
      if (shown) act(() => shown.unmount());
    },
    setLanguage(language) {
      stubNavigator(language);
    },
  };
  return page;
}

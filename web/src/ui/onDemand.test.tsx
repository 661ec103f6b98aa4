// @vitest-environment happy-dom
import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../i18n/I18nProvider';
import { onDemand, PartSlot } from './onDemand';

let container: HTMLElement;
let root: Root | null = null;

beforeEach(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  vi.stubGlobal('navigator', { ...navigator, language: 'en', languages: ['en'] });
  container = document.createElement('div');
  document.body.append(container);
});

afterEach(() => {
  if (root) act(() => root?.unmount());
  root = null;
  container.remove();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function show(node: ReactNode) {
  root = createRoot(container);
  await act(async () => {
    root?.render(<I18nProvider>{node}</I18nProvider>);
  });
}

/** A module import the test settles when it wants. */
function controlledImport() {
  let resolve!: (component: (props: { who: string }) => ReactNode) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<(props: { who: string }) => ReactNode>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { load: vi.fn(() => promise), resolve, reject };
}

describe('onDemand', () => {
  it('shows "Loading…" until the part arrives, then the part with its props', async () => {
    const part = controlledImport();
    const Component = onDemand(part.load);
    await show(
      <PartSlot>
        <Component who="Ana" />
      </PartSlot>,
    );
    expect(container.querySelector('[role="status"]')?.textContent).toBe('Loading…');
    await act(async () => part.resolve(({ who }) => <p data-testid="part">hello {who}</p>));
    expect(container.querySelector('[data-testid="part"]')?.textContent).toBe('hello Ana');
  });

  it('a chunk that cannot be fetched says Visio was updated and offers a reload, not a blank page', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const part = controlledImport();
    const Component = onDemand(part.load);
    await show(
      <PartSlot>
        <Component who="Ana" />
      </PartSlot>,
    );
    await act(async () => part.reject(new TypeError('Failed to fetch dynamically imported module')));
    expect(container.querySelector('h1')?.textContent).toBe('Visio has been updated');
    expect(container.textContent).toContain('Reload');
  });

  it('a bug while rendering the part is not mistaken for an update: it goes on up', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const Component = onDemand<{ who: string }>(() =>
      Promise.resolve(() => {
        throw new Error('a bug in the part');
      }),
    );
    await expect(
      show(
        <PartSlot>
          <Component who="Ana" />
        </PartSlot>,
      ),
    ).rejects.toThrow('a bug in the part');
    expect(container.textContent).not.toContain('Visio has been updated');
  });
});

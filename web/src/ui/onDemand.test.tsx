// @vitest-environment happy-dom
import { act, type ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { reactPage } from '../testing/reactPage';
import { onDemand, PartSlot } from './onDemand';

const page = reactPage();

const show = (node: ReactNode) => page.showSettled(node);

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
    expect(page.container.querySelector('[role="status"]')?.textContent).toBe('Loading…');
    await act(async () => part.resolve(({ who }) => <p data-testid="part">hello {who}</p>));
    expect(page.container.querySelector('[data-testid="part"]')?.textContent).toBe('hello Ana');
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
    expect(page.container.querySelector('h1')?.textContent).toBe('Visio has been updated');
    expect(page.container.textContent).toContain('Reload');
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
    expect(page.container.textContent).not.toContain('Visio has been updated');
  });
});

/**
 * Parts of the app loaded on demand, each in a chunk of its own: a meeting link or the home page
 * does not load the calendar, the records or the scheduling pages (the meeting's own screen stays
 * in the main script: as a chunk it slowed joining down, docs/benchmarks.md). A part that cannot
 * be fetched (the server was updated and the old chunk is gone) shows "Visio has been updated"
 * with a reload, never a blank page.
 */

import { Component, lazy, Suspense, type ComponentType, type ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { ErrorPage } from './ErrorPage';

/** A chunk that could not be fetched or evaluated (told apart from a bug while rendering it). */
export class PartLoadError extends Error {
  override readonly name = 'PartLoadError';
}

/** `load` imports the part's module and picks its component (once, when first rendered). */
export function onDemand<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  return lazy(() =>
    load().then(
      (component) => ({ default: component }),
      (error: unknown) => {
        throw new PartLoadError(error instanceof Error ? error.message : String(error));
      },
    ),
  ) as unknown as ComponentType<P>;
}

/** The centred "Loading…" a page shows while its content is on its way. */
export function LoadingPage() {
  const { t } = useI18n();
  return (
    <div className="page page--light centered" aria-busy="true">
      <p className="loading" role="status">
        {t.loading}
      </p>
    </div>
  );
}

interface BoundaryState {
  error: unknown;
}

/** Turns a part that failed to load into the "updated" page; any other error goes on up. */
class PartBoundary extends Component<{ children: ReactNode }, BoundaryState> {
  override state: BoundaryState = { error: null };

  static getDerivedStateFromError(error: unknown): BoundaryState {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (error === null) return this.props.children;
    if (!(error instanceof PartLoadError)) throw error;
    return <ErrorPage code="unsupported_version" onRetry={() => window.location.reload()} />;
  }
}

/** Where an on-demand part is rendered: "Loading…" until it is there. */
export function PartSlot({ children }: { children: ReactNode }) {
  return (
    <PartBoundary>
      <Suspense fallback={<LoadingPage />}>{children}</Suspense>
    </PartBoundary>
  );
}

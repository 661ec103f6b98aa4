import { useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '../api/rooms';
import { useI18n } from '../i18n/I18nProvider';
import { useAuth } from '../ui/AuthProvider';
import { startConnectionTest } from './api';
import { CONNECTION_TEST_MESSAGES } from './messages';
import { DEFAULT_PROBE, measureConnection } from './probe';
import { connectionVerdict, TRANSPORTS, type Measurements, type Verdict } from './verdict';
import './connectionTest.css';

type State =
  | { kind: 'idle' }
  | { kind: 'running' }
  | { kind: 'done'; verdict: Verdict; measured: Measurements }
  | { kind: 'failed'; message: string };

/**
 * The pre-join screen's "Test my connection": asks Visio for the test's ICE servers, measures
 * (`probe.ts`), and shows the verdict (`verdict.ts`) with advice. Started by the person, never on
 * its own: each run opens relays on the TURN server. Always ends: the probe stops at its deadline,
 * and leaving the page stops it at once.
 */
export function ConnectionTest({ slug }: { slug: string }) {
  const { language } = useI18n();
  const { me } = useAuth();
  const m = CONNECTION_TEST_MESSAGES[language];
  const [state, setState] = useState<State>({ kind: 'idle' });
  const running = useRef<AbortController | null>(null);
  const headingId = useId();

  useEffect(() => () => running.current?.abort(), []);

  const run = async () => {
    if (running.current) return;
    const controller = new AbortController();
    running.current = controller;
    setState({ kind: 'running' });
    try {
      const servers = await startConnectionTest(slug, me?.csrf_token ?? null);
      const measured = await measureConnection(servers.ice_servers, servers.relay, { ...DEFAULT_PROBE, signal: controller.signal });
      if (!controller.signal.aborted) setState({ kind: 'done', verdict: connectionVerdict(measured), measured });
    } catch (error) {
      if (controller.signal.aborted) return;
      const seconds = error instanceof ApiError && error.code === 'rate_limited' ? Number(/(\d+) s/.exec(error.message)?.[1] ?? 60) : null;
      setState({ kind: 'failed', message: seconds !== null ? m.rateLimited(seconds) : m.failed });
    } finally {
      running.current = null;
    }
  };

  const busy = state.kind === 'running';
  return (
    <section className="conntest" aria-labelledby={headingId} data-testid="connection-test">
      <h2 id={headingId} className="conntest__title">
        {m.title}
      </h2>
      {state.kind === 'idle' && <p className="conntest__intro">{m.intro}</p>}
      <button
        type="button"
        className="button button--secondary conntest__start"
        onClick={() => void run()}
        disabled={busy}
        data-testid="connection-test-start"
      >
        {state.kind === 'done' || state.kind === 'failed' ? m.again : m.start}
      </button>
      <div role="status" aria-live="polite" className="conntest__status">
        {busy && (
          <p className="conntest__running" data-testid="connection-test-running">
            <span className="conntest__spinner" aria-hidden="true" />
            {m.running}
          </p>
        )}
        {state.kind === 'failed' && (
          <p className="form-error" data-testid="connection-test-failed">
            {state.message}
          </p>
        )}
        {state.kind === 'done' && <Result verdict={state.verdict} measured={state.measured} />}
      </div>
    </section>
  );
}

function Result({ verdict, measured }: { verdict: Verdict; measured: Measurements }) {
  const { language } = useI18n();
  const m = CONNECTION_TEST_MESSAGES[language];
  const relayed = verdict.path === 'turn-tcp' || verdict.path === 'turn-tls';
  const headline =
    verdict.path === 'none'
      ? m.headline.blocked
      : verdict.path === 'unknown'
        ? m.headline.untested
        : relayed && verdict.quality === 'good'
          ? m.headline.relayed
          : m.headline[verdict.quality];
  return (
    <div
      className={`conntest__result conntest__result--${verdict.level}`}
      data-testid="connection-test-result"
      data-path={verdict.path}
      data-quality={verdict.quality}
    >
      <p className="conntest__headline">{headline}</p>
      {verdict.path !== 'unknown' && (
        <dl className="conntest__figures">
          <div>
            <dt>{m.pathLabel}</dt>
            <dd data-testid="connection-test-path">{m.path[verdict.path]}</dd>
          </div>
          {verdict.roundTripMs !== null && (
            <div>
              <dt>{m.roundTripLabel}</dt>
              <dd data-testid="connection-test-rtt">{m.milliseconds(verdict.roundTripMs)}</dd>
            </div>
          )}
          {verdict.lossPercent !== null && (
            <div>
              <dt>{m.lossLabel}</dt>
              <dd data-testid="connection-test-loss">{m.percent(verdict.lossPercent)}</dd>
            </div>
          )}
          <div>
            <dt>{m.transportsLabel}</dt>
            <dd>
              <ul className="conntest__transports">
                {TRANSPORTS.filter((transport) => measured.transports[transport] !== 'absent').map((transport) => (
                  <li key={transport} data-testid={`connection-test-transport-${transport}`} data-result={measured.transports[transport]}>
                    {m.transportLine(m.transport[transport], m.transportResult[measured.transports[transport]])}
                  </li>
                ))}
              </ul>
            </dd>
          </div>
        </dl>
      )}
      {verdict.advice.length > 0 && (
        <ul className="conntest__advice" data-testid="connection-test-advice">
          {verdict.advice.map((advice) => (
            <li key={advice} data-advice={advice}>
              {m.advice[advice]}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { Messages } from '../i18n/messages';
import {
  assessQuality,
  inboundSamples,
  outboundSample,
  QUALITY_INTERVAL_MS,
  type QualityReport,
  type QualitySample,
  type StatsEntry,
  withConnectionState,
} from '../room/connectionQuality';
import type { RoomSession } from '../room/session';
import { selectedPath, type PathStatsEntry, type RelayProtocol } from '../turn/relayPath';

/** A verdict, and whether that media goes through a TURN relay (and how this browser reaches it). */
type TileQuality = QualityReport & { relay: RelayProtocol | null };

/** Each remote participant's report by id, and this person's own under `SELF`. */
type QualityMap = ReadonlyMap<string, TileQuality>;

const SELF = '';
const QualityContext = createContext<QualityMap>(new Map());

async function statsEntries(pc: RTCPeerConnection): Promise<StatsEntry[]> {
  const report = await pc.getStats();
  return [...report.values()] as StatsEntry[];
}

/**
 * Samples the session's peer connections every `QUALITY_INTERVAL_MS` and gives each tile its
 * verdict (`ConnectionIndicator`). Only the indicators re-render, not what this wraps.
 */
export function ConnectionQualityProvider({ session, children }: { session: RoomSession; children: ReactNode }) {
  const [reports, setReports] = useState<QualityMap>(() => new Map());

  useEffect(() => {
    let stopped = false;
    // The previous samples, valid only for the peer connection they came from (counters restart with a new one).
    let inbound: { pc: RTCPeerConnection | null; samples: Map<string, QualitySample> } = { pc: null, samples: new Map() };
    let outbound: { pc: RTCPeerConnection | null; sample: QualitySample | null } = { pc: null, sample: null };

    const sampleOnce = async () => {
      const next = new Map<string, TileQuality>();
      const at = performance.now();
      const sub = session.subscriber;
      if (sub) {
        const owners = new Map(session.remoteTracks.map((track) => [track.track.id, track.participantId]));
        const entries = await statsEntries(sub);
        const relay = selectedPath(entries as PathStatsEntry[])?.relay ?? null;
        const samples = inboundSamples(entries, owners, at);
        const previous = inbound.pc === sub ? inbound.samples : new Map<string, QualitySample>();
        for (const participant of session.participants) {
          const current = samples.get(participant.id);
          if (!current) continue;
          const report = assessQuality(previous.get(participant.id) ?? null, current, participant);
          next.set(participant.id, { ...withConnectionState(report, sub.connectionState), relay });
        }
        inbound = { pc: sub, samples };
      }
      const pub = session.publisher;
      if (pub) {
        const entries = await statsEntries(pub);
        const relay = selectedPath(entries as PathStatsEntry[])?.relay ?? null;
        const current = outboundSample(entries, at);
        const previous = outbound.pc === pub ? outbound.sample : null;
        const report = withConnectionState(assessQuality(previous, current, session.localState), pub.connectionState);
        next.set(SELF, { ...report, relay });
        outbound = { pc: pub, sample: current };
      }
      if (!stopped) setReports(next);
    };

    const timer = setInterval(() => {
      sampleOnce().catch((error: unknown) => console.warn('visio: could not read the connection statistics', error));
    }, QUALITY_INTERVAL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [session]);

  return <QualityContext.Provider value={reports}>{children}</QualityContext.Provider>;
}

/** The figures behind a verdict, in words. */
function figures(report: TileQuality, own: boolean, t: Messages): string[] {
  const parts: string[] = [];
  if (report.relay) parts.push(t.connectionViaRelay(report.relay));
  if (report.silent) parts.push(own ? t.connectionNoReply : t.connectionNoMedia);
  if (report.lossPercent !== null) parts.push(t.connectionLoss(report.lossPercent));
  if (report.roundTripMs !== null) parts.push(t.connectionRoundTrip(report.roundTripMs));
  if (report.framesPerSecond !== null) parts.push(t.connectionFrameRate(report.framesPerSecond));
  return parts;
}

const BARS: Record<Exclude<QualityReport['level'], 'unknown'>, number> = { good: 3, fair: 2, poor: 1 };

/**
 * A tile's connection: signal bars (three good, two fair, one poor: the shape says it, not only the
 * colour), with the verdict and its figures as the accessible name and tooltip. Nothing until a
 * verdict exists. `local`: this person's own sending; otherwise what this browser receives from them.
 */
export function ConnectionIndicator({ participantId, local }: { participantId: string; local: boolean }) {
  const { t } = useI18n();
  const report = useContext(QualityContext).get(local ? SELF : participantId);
  if (!report || report.level === 'unknown') return null;
  const levelName = { good: t.connectionGood, fair: t.connectionFair, poor: t.connectionPoor }[report.level];
  const label = t.connectionQuality(local, levelName, figures(report, local, t));
  const lit = BARS[report.level];
  return (
    <span
      className={`tile__quality tile__quality--${report.level}`}
      role="img"
      aria-label={label}
      title={label}
      data-testid="connection-quality"
      data-level={report.level}
      data-relay={report.relay ?? undefined}
    >
      <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
        {[0, 1, 2].map((bar) => (
          <rect
            key={bar}
            x={1 + bar * 5}
            y={11 - bar * 4}
            width="4"
            height={4 + bar * 4}
            rx="1"
            fill="currentColor"
            opacity={bar < lit ? 1 : 0.3}
          />
        ))}
      </svg>
    </span>
  );
}

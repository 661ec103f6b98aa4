import { useI18n } from '../i18n/I18nProvider';
import { shownText, type CaptionLine } from '../room/captionStore';
import type { CaptionsInfo } from '../room/protocol';
import { captionLanguageName } from './captionLanguages';
import { ClosedCaptionIcon } from './icons';

interface CaptionsOverlayProps {
  lines: CaptionLine[];
  selfId: string;
  /** Show finals in English where they have a translation. */
  english: boolean;
}

/**
 * The last few lines spoken, over the bottom of the stage: each under its speaker's name, partial
 * text lighter until it settles. Not a live region (partials change many times a second); the
 * history panel's log is the one screen readers follow.
 */
export function CaptionsOverlay({ lines, selfId, english }: CaptionsOverlayProps) {
  const { t } = useI18n();
  return (
    <section className="captions-live" data-testid="captions-live" aria-label={t.liveSubtitles}>
      {lines.map((line, index) => {
        const continued = index > 0 && lines[index - 1]!.participantId === line.participantId;
        const shown = shownText(line, english);
        return (
          <div
            key={line.id}
            className={`caption-line caption-line--${line.kind} ${continued ? 'caption-line--continued' : ''}`}
            data-testid="caption-line"
            data-participant-id={line.participantId}
            data-kind={line.kind}
          >
            <span className="caption-line__speaker" data-testid="caption-speaker">
              {line.speaker}
              {line.participantId === selfId && <span className="caption-line__you"> {t.youSuffix}</span>}
            </span>
            <span className="caption-line__text" lang={shown.language} title={shown.original?.text}>
              <span>{shown.text}</span>
            </span>
          </div>
        );
      })}
    </section>
  );
}

/** "Subtitles on · English", for everyone in the meeting while subtitles are on. */
export function CaptionsIndicator({ captions }: { captions: CaptionsInfo }) {
  const { t } = useI18n();
  if (!captions.enabled) return null;
  return (
    <div className="captions-indicator" data-testid="captions-indicator" data-language={captions.language}>
      <ClosedCaptionIcon size={18} />
      <span>{t.subtitlesOn(captionLanguageName(captions.language, t, true))}</span>
    </div>
  );
}

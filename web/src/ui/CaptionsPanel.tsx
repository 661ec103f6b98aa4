import { memo, useEffect, useId, useMemo, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { Language } from '../i18n/messages';
import { shownText, type CaptionLine } from '../room/captionStore';
import type { CaptionLanguage, CaptionsInfo } from '../room/protocol';
import { CAPTION_LANGUAGES, captionLanguageName, captionLanguageTag } from './captionLanguages';
import { CloseIcon } from './icons';
import { CAPTION_TEXT_SCALES } from './preferences';
import { useStickToBottom } from './useCaptions';

/** A request to turn subtitles on or off that the server has not answered yet. */
export type CaptionsPending = 'on' | 'off' | null;

interface CaptionsPanelProps {
  id: string;
  captions: CaptionsInfo;
  history: readonly CaptionLine[];
  selfId: string;
  moderator: boolean;
  pending: CaptionsPending;
  /** Whether this person shows subtitles over the video. */
  visible: boolean;
  textSize: number;
  /** Whether this person reads the subtitles in English. */
  english: boolean;
  onEnglish: (english: boolean) => void;
  onTextSize: (size: number) => void;
  onSetCaptions: (enabled: boolean, language: CaptionLanguage) => void;
  onClose: () => void;
}

/**
 * The subtitles panel: the meeting's setting (which a moderator can change), the text size, and
 * the history of everything said, as a log that screen readers follow.
 */
export function CaptionsPanel(props: CaptionsPanelProps) {
  const { t, language } = useI18n();
  const { id, captions, history } = props;
  const headingId = `${id}-heading`;
  const { ref, stuck, onScroll, follow } = useStickToBottom<HTMLDivElement>(history);

  return (
    <aside id={id} className="panel captions-panel" role="region" aria-labelledby={headingId} data-testid="captions-panel">
      <div className="panel__header">
        <h2 id={headingId}>{t.subtitlesPanel}</h2>
        <button type="button" className="icon-button" aria-label={t.closePanel} title={t.closePanel} onClick={props.onClose}>
          <CloseIcon />
        </button>
      </div>
      <CaptionsSettings {...props} />
      <div className="captions-panel__size" role="group" aria-label={t.textSize}>
        <span className="captions-panel__size-label" aria-hidden="true">
          {t.textSize}
        </span>
        <button
          type="button"
          className="size-button"
          data-testid="captions-text-smaller"
          aria-label={t.smallerText}
          title={t.smallerText}
          disabled={props.textSize <= 0}
          onClick={() => props.onTextSize(props.textSize - 1)}
        >
          <span className="size-button__glyph" aria-hidden="true" data-glyph="A−" />
        </button>
        <span className="size-steps" aria-hidden="true">
          {CAPTION_TEXT_SCALES.map((_, step) => (
            <span key={step} className={`size-steps__dot ${step <= props.textSize ? 'size-steps__dot--on' : ''}`} />
          ))}
        </span>
        <button
          type="button"
          className="size-button size-button--large"
          data-testid="captions-text-larger"
          aria-label={t.largerText}
          title={t.largerText}
          disabled={props.textSize >= CAPTION_TEXT_SCALES.length - 1}
          onClick={() => props.onTextSize(props.textSize + 1)}
        >
          <span className="size-button__glyph" aria-hidden="true" data-glyph="A+" />
        </button>
      </div>
      <div className="captions-panel__body">
        {history.length === 0 && (
          <p className="captions-panel__empty">{captions.enabled ? t.subtitlesEmptyOn : t.subtitlesEmptyOff}</p>
        )}
        <div
          ref={ref}
          className="captions-log"
          data-testid="captions-log"
          role="log"
          aria-live="polite"
          aria-label={t.subtitlesPanel}
          tabIndex={0}
          onScroll={onScroll}
        >
          <CaptionHistory
            history={history}
            selfId={props.selfId}
            youSuffix={t.youSuffix}
            originalLabel={t.originalText}
            language={language}
            english={props.english}
          />
        </div>
        {!stuck && history.length > 0 && (
          <button type="button" className="captions-panel__latest" onClick={follow}>
            {t.jumpToLatest}
          </button>
        )}
      </div>
    </aside>
  );
}

/** On or off for everyone: the moderator's controls, or a line saying who can change it. */
function CaptionsSettings({ captions, moderator, pending, visible, english, onEnglish, onSetCaptions }: CaptionsPanelProps) {
  const { t } = useI18n();
  const [language, setLanguage] = useState<CaptionLanguage>(captions.language);
  useEffect(() => {
    if (captions.enabled) setLanguage(captions.language);
  }, [captions]);
  const selectId = useId();
  const englishNoteId = useId();
  const status = captions.enabled ? t.subtitlesOn(captionLanguageName(captions.language, t, true)) : t.subtitlesOff;

  return (
    <section className="captions-settings" aria-label={t.subtitlesForEveryone}>
      <p className="captions-settings__status">
        <span className={`status-dot ${captions.enabled ? 'status-dot--on' : ''}`} aria-hidden="true" />
        {status}
      </p>
      {moderator ? (
        <div className="captions-settings__controls">
          <label className="captions-settings__label" htmlFor={selectId}>
            {t.spokenLanguage}
          </label>
          <div className="captions-settings__row">
            <select
              id={selectId}
              className="select select--panel"
              data-testid="captions-language"
              value={language}
              disabled={pending !== null}
              onChange={(event) => {
                const next = event.target.value as CaptionLanguage;
                setLanguage(next);
                // While on, a new language applies at once (the recognisers restart in it).
                if (captions.enabled) onSetCaptions(true, next);
              }}
            >
              {CAPTION_LANGUAGES.map((option) => (
                <option key={option} value={option} lang={captionLanguageTag(option)}>
                  {captionLanguageName(option, t)}
                </option>
              ))}
            </select>
            {captions.enabled ? (
              <button
                type="button"
                className="button button--secondary captions-settings__action"
                data-testid="captions-off"
                disabled={pending !== null}
                onClick={() => onSetCaptions(false, language)}
              >
                {pending === 'off' ? t.turningOffSubtitles : t.turnOffSubtitles}
              </button>
            ) : (
              <button
                type="button"
                className="button button--primary captions-settings__action"
                data-testid="captions-on"
                disabled={pending !== null}
                onClick={() => onSetCaptions(true, language)}
              >
                {pending === 'on' ? t.turningOnSubtitles : t.turnOnSubtitles}
              </button>
            )}
          </div>
        </div>
      ) : (
        <p className="captions-settings__note" data-testid="captions-moderator-only">
          {t.subtitlesModeratorOnly}
        </p>
      )}
      {captions.enabled && !visible && <p className="captions-settings__note">{t.subtitlesHiddenNote}</p>}
      {captions.enabled && (
        <div className="captions-settings__english">
          <label className="captions-settings__toggle">
            <input
              type="checkbox"
              data-testid="captions-english"
              checked={english}
              aria-describedby={englishNoteId}
              onChange={(event) => onEnglish(event.target.checked)}
            />
            {t.showInEnglish}
          </label>
          <p id={englishNoteId} className="captions-settings__note">
            {t.showInEnglishNote}
          </p>
        </div>
      )}
    </section>
  );
}

interface CaptionHistoryProps {
  history: readonly CaptionLine[];
  selfId: string;
  youSuffix: string;
  originalLabel: string;
  language: Language;
  english: boolean;
}

/** The settled lines; memoised, since partials re-render the panel many times a second. */
const CaptionHistory = memo(function CaptionHistory({
  history,
  selfId,
  youSuffix,
  originalLabel,
  language,
  english,
}: CaptionHistoryProps) {
  const time = useMemo(() => new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit' }), [language]);
  return (
    <>
      {history.map((line) => {
        const shown = shownText(line, english);
        return (
          <div key={line.id} className="caption-entry" data-testid="caption-entry" data-participant-id={line.participantId}>
            <div className="caption-entry__meta">
              <span className="caption-entry__speaker">
                {line.speaker}
                {line.participantId === selfId && ` ${youSuffix}`}
              </span>
              <time className="caption-entry__time" dateTime={new Date(line.startedAt).toISOString()}>
                {time.format(line.startedAt)}
              </time>
            </div>
            <p className="caption-entry__text" lang={shown.language}>
              {shown.text}
            </p>
            {shown.original && (
              <p className="caption-entry__original" data-testid="caption-original">
                {originalLabel} <span lang={shown.original.language}>{shown.original.text}</span>
              </p>
            )}
          </div>
        );
      })}
    </>
  );
});

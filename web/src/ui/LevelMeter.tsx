import { useI18n } from '../i18n/I18nProvider';
import { useAudioLevel } from './useAudioLevel';

/** A microphone's live level as twelve bars (the pre-join screen's meter). */
export function LevelMeter({ track }: { track: MediaStreamTrack | null }) {
  const { t } = useI18n();
  const level = useAudioLevel(track);
  return (
    <div
      className="meter"
      role="meter"
      aria-label={t.micLevel}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(level * 100)}
      data-testid="settings-mic-level"
    >
      {Array.from({ length: 12 }, (_, index) => (
        <span key={index} className={`meter__bar ${level * 12 > index ? 'meter__bar--on' : ''}`} />
      ))}
    </div>
  );
}

import { useEffect, useId, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { onEffectFailure, setActiveEffects, type EffectFailure, type EffectSettings } from '../media/effects';
import { loadEffectPreferences, saveEffectPreferences } from './preferences';

interface EffectsChoiceProps {
  /** Before the test ids (`effects`, `effect-noise`, `effect-blur`): '' in pre-join, 'settings-' in the meeting. */
  testIdPrefix: string;
  /** The class of the failure notice, as the surrounding form shows its errors. */
  errorClassName: string;
  /** An effect was turned on or off: the track it applies to must be captured again. */
  onChanged: (kind: 'microphone' | 'camera') => void;
}

/**
 * Noise suppression and background blur, as the person chooses them (remembered by the browser);
 * the choice is what captures apply from then on (`setActiveEffects`), and an effect that fails
 * to start is said here. Used by the pre-join screen and the meeting's Settings.
 */
export function EffectsChoice({ testIdPrefix, errorClassName, onChanged }: EffectsChoiceProps) {
  const { t } = useI18n();
  const ids = { noise: useId(), blur: useId() };
  const [effects, setEffects] = useState<EffectSettings>(loadEffectPreferences);
  const [error, setError] = useState<EffectFailure | null>(null);

  // A child's effects run before its parent's: the pre-join's first capture already has them.
  useEffect(() => {
    setActiveEffects(effects);
    return onEffectFailure((failure) => setError(failure));
    // The remembered choice, once, on arrival; later choices go through `choose`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const choose = (next: EffectSettings) => {
    const previous = effects;
    setEffects(next);
    saveEffectPreferences(next);
    setActiveEffects(next);
    setError(null);
    if (next.noiseSuppression !== previous.noiseSuppression) onChanged('microphone');
    if (next.background !== previous.background) onChanged('camera');
  };

  return (
    <fieldset className="effects" data-testid={`${testIdPrefix}effects`}>
      <legend className="device__label">{t.effectsTitle}</legend>
      <label className="effects__choice" htmlFor={ids.noise}>
        <input
          id={ids.noise}
          type="checkbox"
          checked={effects.noiseSuppression}
          onChange={(event) => choose({ ...effects, noiseSuppression: event.target.checked })}
          data-testid={`${testIdPrefix}effect-noise`}
        />
        {t.noiseSuppression}
      </label>
      <label className="effects__choice" htmlFor={ids.blur}>
        <input
          id={ids.blur}
          type="checkbox"
          checked={effects.background === 'blur'}
          onChange={(event) => choose({ ...effects, background: event.target.checked ? 'blur' : 'none' })}
          data-testid={`${testIdPrefix}effect-blur`}
        />
        {t.blurBackground}
      </label>
      {error && (
        <p className={errorClassName} role="alert" data-testid="effect-error">
          {error === 'noise_suppression_failed' ? t.noiseSuppressionFailed : t.backgroundFailed}
        </p>
      )}
    </fieldset>
  );
}

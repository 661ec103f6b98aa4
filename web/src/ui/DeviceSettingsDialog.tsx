import { useEffect, useId, useState } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { canChooseSpeaker } from '../media/devices';
import { onEffectFailure, setActiveEffects, type EffectFailure, type EffectSettings } from '../media/effects';
import { LevelMeter } from './LevelMeter';
import { ModalDialog } from './ModalDialog';
import { loadEffectPreferences, saveEffectPreferences } from './preferences';
import type { MeetingDevices } from './useMeetingDevices';

interface DeviceSettingsDialogProps {
  devices: MeetingDevices;
  microphoneTrack: MediaStreamTrack | null;
  /** Whether the microphone is unmuted (the level reads 0 while muted). */
  audio: boolean;
  soundsEnabled: boolean;
  onSounds: (enabled: boolean) => void;
  onClose: () => void;
}

/** Settings during the meeting: microphone (with its live level), camera, speaker, and the join/leave sounds. */
export function DeviceSettingsDialog({ devices, microphoneTrack, audio, soundsEnabled, onSounds, onClose }: DeviceSettingsDialogProps) {
  const { t } = useI18n();
  const ids = { mic: useId(), cam: useId(), speaker: useId(), sounds: useId(), noise: useId(), blur: useId() };
  const { microphones, cameras, speakers } = devices.devices;
  const [effects, setEffects] = useState<EffectSettings>(loadEffectPreferences);
  const [effectError, setEffectError] = useState<EffectFailure | null>(null);
  useEffect(() => onEffectFailure((failure) => setEffectError(failure)), []);

  /** An effect turned on or off: the device it applies to is captured again, with it or without. */
  const chooseEffects = (next: EffectSettings) => {
    const previous = effects;
    setEffects(next);
    saveEffectPreferences(next);
    setActiveEffects(next);
    setEffectError(null);
    if (next.noiseSuppression !== previous.noiseSuppression && microphoneTrack) {
      void devices.chooseMicrophone(devices.microphoneId ?? '');
    }
    if (next.background !== previous.background) void devices.chooseCamera(devices.cameraId ?? '');
  };
  return (
    <ModalDialog title={t.settings} testId="settings-dialog" onClose={onClose}>
      <div className="settings">
        <label className="device" htmlFor={ids.mic}>
          <span className="device__label">{t.microphone}</span>
          <select
            id={ids.mic}
            data-testid="settings-microphone"
            value={devices.microphoneId ?? ''}
            onChange={(event) => void devices.chooseMicrophone(event.target.value)}
          >
            {devices.microphoneId === null && <option value="">{t.noDevice}</option>}
            {microphones.map((device, index) => (
              <option key={device.deviceId} value={device.deviceId}>
                {device.label || `${t.microphone} ${index + 1}`}
              </option>
            ))}
          </select>
        </label>
        <LevelMeter track={audio ? microphoneTrack : null} />
        {!audio && <p className="settings__hint">{t.settingsMutedHint}</p>}
        <label className="device" htmlFor={ids.cam}>
          <span className="device__label">{t.camera}</span>
          <select
            id={ids.cam}
            data-testid="settings-camera"
            value={devices.cameraId ?? ''}
            onChange={(event) => void devices.chooseCamera(event.target.value)}
          >
            {devices.cameraId === null && <option value="">{t.noDevice}</option>}
            {cameras.map((device, index) => (
              <option key={device.deviceId} value={device.deviceId}>
                {device.label || `${t.camera} ${index + 1}`}
              </option>
            ))}
          </select>
        </label>
        {canChooseSpeaker() && (
          <label className="device" htmlFor={ids.speaker}>
            <span className="device__label">{t.speaker}</span>
            <select
              id={ids.speaker}
              data-testid="settings-speaker"
              value={devices.speakerId ?? ''}
              onChange={(event) => devices.chooseSpeaker(event.target.value)}
            >
              <option value="">{t.systemDefault}</option>
              {speakers.map((device, index) => (
                <option key={device.deviceId} value={device.deviceId}>
                  {device.label || `${t.speaker} ${index + 1}`}
                </option>
              ))}
            </select>
          </label>
        )}
        {devices.failed && (
          <p className="settings__error" role="alert" data-testid="settings-error">
            {devices.failed === 'microphone' ? t.microphoneSwitchFailed : t.cameraSwitchFailed}
          </p>
        )}
        <fieldset className="effects" data-testid="settings-effects">
          <legend className="device__label">{t.effectsTitle}</legend>
          <label className="effects__choice" htmlFor={ids.noise}>
            <input
              id={ids.noise}
              type="checkbox"
              checked={effects.noiseSuppression}
              onChange={(event) => chooseEffects({ ...effects, noiseSuppression: event.target.checked })}
              data-testid="settings-effect-noise"
            />
            {t.noiseSuppression}
          </label>
          <label className="effects__choice" htmlFor={ids.blur}>
            <input
              id={ids.blur}
              type="checkbox"
              checked={effects.background === 'blur'}
              onChange={(event) => chooseEffects({ ...effects, background: event.target.checked ? 'blur' : 'none' })}
              data-testid="settings-effect-blur"
            />
            {t.blurBackground}
          </label>
          {effectError && (
            <p className="settings__error" role="alert" data-testid="effect-error">
              {effectError === 'noise_suppression_failed' ? t.noiseSuppressionFailed : t.backgroundFailed}
            </p>
          )}
        </fieldset>
        <label className="settings__check" htmlFor={ids.sounds}>
          <input
            id={ids.sounds}
            type="checkbox"
            data-testid="settings-sounds"
            checked={soundsEnabled}
            onChange={(event) => onSounds(event.target.checked)}
          />
          <span>{t.joinLeaveSounds}</span>
        </label>
      </div>
    </ModalDialog>
  );
}

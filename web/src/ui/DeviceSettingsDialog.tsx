import { useId } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { canChooseSpeaker } from '../media/devices';
import { LevelMeter } from './LevelMeter';
import { ModalDialog } from './ModalDialog';
import { EffectsChoice } from './EffectsChoice';
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
  const ids = { mic: useId(), cam: useId(), speaker: useId(), sounds: useId() };
  const { microphones, cameras, speakers } = devices.devices;
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
        <EffectsChoice
          testIdPrefix="settings-"
          errorClassName="settings__error"
          onChanged={(kind) => {
            if (kind === 'microphone' && microphoneTrack) void devices.chooseMicrophone(devices.microphoneId ?? '');
            else if (kind === 'camera') void devices.chooseCamera(devices.cameraId ?? '');
          }}
        />
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

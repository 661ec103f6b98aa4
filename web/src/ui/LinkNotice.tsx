import { useI18n } from '../i18n/I18nProvider';
import type { LinkModes } from '../room/linkAdaptation';

/**
 * The notice while video is paused for a weak link (`useLinkAdaptation`): what was paused, that it
 * comes back by itself, and the person's way to keep video on anyway.
 */
export function LinkNotice({ modes, onKeepVideo }: { modes: LinkModes; onKeepVideo: () => void }) {
  const { t } = useI18n();
  const receive = modes.receive === 'audio';
  const send = modes.send === 'audio';
  return (
    <div className="toast toast--notice" role="status" data-testid="link-notice" data-receive={modes.receive} data-send={modes.send}>
      <span className="toast__text">
        <strong>{t.linkAudioOnlyTitle}</strong>
        <span>{t.linkAudioOnlyHint(receive, send)}</span>
      </span>
      <button type="button" className="button button--primary toast__action" data-testid="link-keep-video" onClick={onKeepVideo}>
        {t.linkKeepVideo}
      </button>
    </div>
  );
}

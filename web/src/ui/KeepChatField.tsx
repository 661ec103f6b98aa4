import { useId } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import './chat.css';

/** The room setting that keeps the meetings' chat for its members, with what it means. */
export function KeepChatField({ value, onChange }: { value: boolean; onChange: (keep: boolean) => void }) {
  const { t } = useI18n();
  const hintId = useId();
  return (
    <div className="keep-chat-field">
      <label className="keep-chat-field__label">
        <input
          type="checkbox"
          data-testid="room-keep-chat"
          checked={value}
          aria-describedby={hintId}
          onChange={(event) => onChange(event.target.checked)}
        />
        {t.keepChatLabel}
      </label>
      <p id={hintId} className="keep-chat-field__hint">
        {t.keepChatHint}
      </p>
    </div>
  );
}

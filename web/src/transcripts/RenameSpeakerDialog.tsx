import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/rooms';
import { useI18n } from '../i18n/I18nProvider';
import type { Messages } from '../i18n/messages';
import { ModalDialog } from '../ui/ModalDialog';
import { renameSpeaker, type Speaker } from './api';

/** The longest speaker name the server takes (`SpeakerRename.name`). */
export const SPEAKER_NAME_MAX = 64;

/**
 * Why the server refused a name, in the reader's language: its 422 message names the field and
 * the reason ("body.name: Value error, must not contain control characters (it must be one
 * line)"); a reason this page does not know is shown as the server wrote it.
 */
export function refusalReason(message: string, t: Messages): string {
  const reason = message
    .split('; ')
    .map((part) => part.replace(/^body\.\w+:\s*/, '').replace(/^Value error,\s*/, ''))
    .join('; ');
  if (/at most \d+ characters|at most \d+ character|String should have at most/.test(reason)) return t.renameSpeakerTooLong;
  if (/invisible formatting/.test(reason)) return t.renameSpeakerFormatting;
  if (/control characters|line or paragraph separators|NUL characters/.test(reason)) return t.renameSpeakerControl;
  if (/must not be empty/.test(reason)) return t.renameSpeakerEmptyReason;
  return reason;
}

/** What to tell the person when the rename is refused or fails. */
export function renameFailure(error: unknown, t: Messages): string {
  if (!(error instanceof ApiError)) return t.renameSpeakerFailed('network');
  if (error.status === 422) return t.renameSpeakerRefused(refusalReason(error.message, t));
  if (error.status === 409) return t.renameSpeakerLive;
  if (error.status === 403) return t.renameSpeakerForbidden;
  if (error.code === 'speaker_not_found') return t.renameSpeakerGone;
  return t.renameSpeakerFailed(error.code);
}

interface RenameSpeakerDialogProps {
  transcriptId: number;
  speaker: Speaker;
  csrfToken: string;
  onRenamed: (who: Speaker, to: string, turns: number) => void;
  onClose: () => void;
}

/**
 * A modal form that renames one speaker of a transcript (every turn of that label): the current
 * name to edit, the server's refusal (a name it does not take, a transcript still running, a
 * person who may not) shown in the form and read out, the field marked invalid.
 */
export function RenameSpeakerDialog({ transcriptId, speaker: who, csrfToken, onRenamed, onClose }: RenameSpeakerDialogProps) {
  const { t } = useI18n();
  const speaker = who.speaker;
  const [name, setName] = useState(speaker);
  const [error, setError] = useState('');
  const [saving, setSaving] = useState(false);
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();
  const input = useRef<HTMLInputElement>(null);

  // After the dialog opened (showModal focuses its first button): the name, selected to retype.
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (saving) return;
    const wanted = name.trim();
    if (!wanted) {
      setError(t.renameSpeakerEmpty);
      return;
    }
    if (wanted === speaker) {
      onClose();
      return;
    }
    setSaving(true);
    setError('');
    try {
      const turns = await renameSpeaker(transcriptId, who, wanted, csrfToken);
      onRenamed(who, wanted, turns);
    } catch (failure) {
      setError(renameFailure(failure, t));
      setSaving(false);
    }
  };

  return (
    <ModalDialog title={t.renameSpeakerTitle} testId="rename-speaker-dialog" onClose={onClose}>
      <form className="rename-speaker" onSubmit={(event) => void submit(event)} noValidate>
        <p className="dialog__text rename-speaker__intro">{t.renameSpeakerIntro(speaker)}</p>
        <label className="field-label" htmlFor={inputId}>
          {t.renameSpeakerName}
        </label>
        <input
          id={inputId}
          className="input input--boxed"
          type="text"
          value={name}
          maxLength={SPEAKER_NAME_MAX}
          autoComplete="off"
          spellCheck={false}
          ref={input}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? `${errorId} ${hintId}` : hintId}
          data-testid="rename-speaker-name"
          onChange={(event) => setName(event.target.value)}
        />
        <p id={hintId} className="field-hint">
          {t.renameSpeakerHint}
        </p>
        <p id={errorId} className="form-error" role="alert" data-testid="rename-speaker-error">
          {error}
        </p>
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={onClose}>
            {t.cancel}
          </button>
          <button
            type="submit"
            className="button button--primary"
            disabled={saving}
            aria-busy={saving}
            data-testid="rename-speaker-save"
          >
            {saving ? t.renameSpeakerSaving : t.renameSpeakerSave}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

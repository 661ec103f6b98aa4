import { useId, useLayoutEffect, useRef, type RefObject } from 'react';
import { useI18n } from '../i18n/I18nProvider';

interface ConfirmDialogProps {
  title: string;
  text: string;
  /** The confirm button's words, e.g. "Remove"; it is shown as a dangerous action. */
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  /**
   * Where focus goes after confirming, when what opened the dialog is about to go away (the row of
   * someone being removed). Otherwise focus returns to what had it before the dialog opened.
   */
  focusAfterConfirm?: RefObject<HTMLElement | null>;
}

/**
 * A modal question before something that cannot be undone. A native `<dialog>` opened with
 * `showModal()`: the rest of the page is inert, Escape cancels. Focus starts on Cancel, the safe
 * choice, and goes back where it was when the dialog closes. Mount it to open it.
 */
export function ConfirmDialog({ title, text, confirmLabel, onConfirm, onCancel, focusAfterConfirm }: ConfirmDialogProps) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const confirmed = useRef(false);
  const titleId = useId();
  const textId = useId();

  useLayoutEffect(() => {
    const dialog = ref.current;
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      const target = confirmed.current ? (focusAfterConfirm?.current ?? returnTo) : returnTo;
      if (target?.isConnected) target.focus();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- opened once, on mount
  }, []);

  return (
    <dialog
      ref={ref}
      className="dialog"
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={textId}
      data-testid="confirm-dialog"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
      onClick={(event) => {
        // A click on the backdrop (the dialog element itself, outside its box) cancels.
        if (event.target === ref.current) onCancel();
      }}
    >
      <div className="dialog__box">
        <h2 id={titleId} className="dialog__title">
          {title}
        </h2>
        <p id={textId} className="dialog__text">
          {text}
        </p>
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" data-testid="confirm-cancel" autoFocus onClick={onCancel}>
            {t.cancel}
          </button>
          <button
            type="button"
            className="button button--danger"
            data-testid="confirm"
            onClick={() => {
              confirmed.current = true;
              onConfirm();
            }}
          >
            {confirmLabel}
          </button>
        </div>
      </div>
    </dialog>
  );
}

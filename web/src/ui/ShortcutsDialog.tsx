import { useI18n } from '../i18n/I18nProvider';
import type { Messages } from '../i18n/messages';
import { ModalDialog } from './ModalDialog';
import { SHORTCUT_KEYS, type ShortcutAction } from './shortcuts';

function actionText(action: ShortcutAction, t: Messages): string {
  switch (action) {
    case 'microphone':
      return t.shortcutMicrophone;
    case 'camera':
      return t.shortcutCamera;
    case 'hand':
      return t.shortcutHand;
    case 'chat':
      return t.shortcutChat;
    case 'layout':
      return t.shortcutLayout;
    case 'help':
      return t.shortcutHelp;
  }
}

/** The keyboard shortcuts, listed; `available` leaves out those this meeting does not offer. */
export function ShortcutsDialog({ available, onClose }: { available: ReadonlySet<ShortcutAction>; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <ModalDialog title={t.keyboardShortcuts} testId="shortcuts-dialog" onClose={onClose}>
      <p className="dialog__text">{t.shortcutsIntro}</p>
      <dl className="shortcuts">
        {SHORTCUT_KEYS.filter(([, action]) => available.has(action)).map(([key, action]) => (
          <div className="shortcuts__row" key={key} data-testid="shortcut" data-action={action}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{actionText(action, t)}</dd>
          </div>
        ))}
        <div className="shortcuts__row" data-testid="shortcut" data-action="push-to-talk">
          <dt>
            <kbd>{t.spaceKey}</kbd>
          </dt>
          <dd>{t.shortcutPushToTalk}</dd>
        </div>
      </dl>
    </ModalDialog>
  );
}

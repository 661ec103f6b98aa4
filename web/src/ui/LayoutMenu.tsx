import { useI18n } from '../i18n/I18nProvider';
import type { Messages } from '../i18n/messages';
import { CheckIcon, GridViewIcon, ScreenFocusIcon, SpeakerViewIcon } from './icons';
import type { LayoutName } from './layouts';
import { MenuButton, type MenuItem } from './Menu';
import type { MeetingLayout } from './useMeetingLayout';

export function layoutLabel(layout: LayoutName, t: Messages): string {
  return layout === 'grid' ? t.layoutGrid : layout === 'speaker' ? t.layoutSpeaker : t.layoutScreen;
}

const ICONS = { grid: GridViewIcon, speaker: SpeakerViewIcon, screen: ScreenFocusIcon } as const;

/** The layout button of the controls: grid, speaker, shared screen (while someone shares), and the self view. */
export function LayoutMenu({ view, announce }: { view: MeetingLayout; announce: (text: string) => void }) {
  const { t } = useI18n();
  const layouts: LayoutName[] = view.screenAvailable ? ['grid', 'speaker', 'screen'] : ['grid', 'speaker'];
  const items: MenuItem[] = [
    ...layouts.map((layout): MenuItem => {
      const Icon = ICONS[layout];
      return {
        key: layout,
        label: layoutLabel(layout, t),
        icon: <Icon size={20} />,
        testId: `layout-${layout}`,
        kind: 'radio',
        checked: view.layout === layout,
        onSelect: () => {
          view.choose(layout);
          announce(t.layoutChanged(layoutLabel(layout, t)));
        },
      };
    }),
    {
      key: 'self-view',
      label: t.hideSelfView,
      icon: view.hideSelf ? <CheckIcon size={20} /> : <span className="menu__icon-space" aria-hidden="true" />,
      testId: 'hide-self-view',
      kind: 'checkbox',
      checked: view.hideSelf,
      onSelect: () => {
        view.setHideSelf(!view.hideSelf);
        announce(view.hideSelf ? t.showSelfView : t.selfViewHidden);
      },
    },
  ];
  const Current = ICONS[view.layout];
  return (
    <MenuButton
      label={t.layoutChanged(layoutLabel(view.layout, t))}
      testId="layout-menu"
      className="control"
      items={items}
    >
      <Current />
    </MenuButton>
  );
}

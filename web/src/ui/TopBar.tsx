import { useI18n } from '../i18n/I18nProvider';
import { AccountMenu } from './AccountMenu';
import { LanguageSwitch } from './LanguageSwitch';
import { Logo } from './Logo';
import { navigate } from './router';

interface TopBarProps {
  /** On the home page the logo is not a link to itself. */
  home?: boolean;
  /** Pages about leaving or errors keep the bar quiet: no account menu. */
  account?: boolean;
}

/** The top bar of the light pages: the logo (a way home), the account menu, the language switch. */
export function TopBar({ home = false, account = true }: TopBarProps) {
  const { t } = useI18n();
  return (
    <header className="topbar">
      {home ? (
        <Logo />
      ) : (
        <a
          href="/"
          className="topbar__home"
          aria-label={`${t.productName}, ${t.backHome}`}
          onClick={(event) => {
            event.preventDefault();
            navigate('/');
          }}
        >
          <Logo />
        </a>
      )}
      <div className="topbar__end">
        {account && <AccountMenu />}
        <LanguageSwitch />
      </div>
    </header>
  );
}

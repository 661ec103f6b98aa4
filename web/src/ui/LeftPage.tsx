import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { navigate } from './router';
import { TopBar } from './TopBar';

export function LeftPage({ onRejoin }: { onRejoin: () => void }) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="page page--light">
      <TopBar account={false} />
      <main className="centered" data-testid="left-page">
        <div className="message-card">
          <h1 ref={heading} tabIndex={-1}>
            {t.leftTitle}
          </h1>
          <p>{t.leftText}</p>
          <div className="button-row">
            <button type="button" className="button button--secondary" data-testid="rejoin" onClick={onRejoin}>
              {t.rejoin}
            </button>
            <button type="button" className="button button--primary" data-testid="home" onClick={() => navigate('/')}>
              {t.returnHome}
            </button>
          </div>
        </div>
      </main>
    </div>
  );
}

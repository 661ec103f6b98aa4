import { createContext, useContext } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { ReactionName } from '../room/protocol';
import { MenuButton } from './Menu';
import { emojiOf, REACTION_EMOJI, reactionLabel, type FloatingReaction } from './reactions';
import './meetingExtras.css';

/** The reactions floating now, for the tiles to pick theirs from. */
export const FloatingReactionsContext = createContext<readonly FloatingReaction[]>([]);

/**
 * The reactions floating over one person's tile. Decorative: screen readers hear them through the
 * meeting's live region instead (throttled), so the emoji are hidden from them.
 */
export function TileReactions({ participantId }: { participantId: string }) {
  const floating = useContext(FloatingReactionsContext).filter((item) => item.participantId === participantId);
  if (floating.length === 0) return null;
  return (
    <span className="tile__reactions" aria-hidden="true">
      {floating.map((item, index) => (
        <span
          key={item.key}
          className="tile__reaction"
          data-testid="tile-reaction"
          data-reaction={item.reaction}
          style={{ left: `${20 + ((index * 17) % 50)}%` }}
        >
          {emojiOf(item.reaction)}
        </span>
      ))}
    </span>
  );
}

/** The controls bar's reactions button: a menu of the six emoji, each with its name. */
export function ReactionsButton({ onReact }: { onReact: (reaction: ReactionName) => void }) {
  const { t } = useI18n();
  return (
    <MenuButton
      label={t.reactions}
      title={t.sendReaction}
      testId="reactions"
      className="control"
      items={REACTION_EMOJI.map(([name, emoji]) => ({
        key: name,
        label: reactionLabel(name, t),
        icon: (
          <span className="reaction-emoji" aria-hidden="true">
            {emoji}
          </span>
        ),
        testId: `react-${name}`,
        onSelect: () => onReact(name),
      }))}
    >
      <span className="reaction-emoji reaction-emoji--button" aria-hidden="true">
        😊
      </span>
    </MenuButton>
  );
}

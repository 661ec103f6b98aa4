import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import { suggestPeople, type Invitee, type PersonSuggestion } from './api';
import { addInvitee, looksLikeEmail } from './form';

const MIN_QUERY = 2;
const DEBOUNCE_MS = 250;

/**
 * Invitees by e-mail, with suggestions from the organisation's directory as one types (an ARIA
 * combobox: arrows move through the suggestions, Enter adds the one chosen or the address typed,
 * Escape closes the list).
 */
export function InviteesField({ invitees, onChange }: { invitees: Invitee[]; onChange: (next: Invitee[]) => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [suggestions, setSuggestions] = useState<PersonSuggestion[]>([]);
  const [active, setActive] = useState(-1);
  const [invalid, setInvalid] = useState(false);
  const inputId = useId();
  const listId = useId();
  const hintId = useId();
  const errorId = useId();
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const query = text.trim();
    if (query.length < MIN_QUERY) {
      setSuggestions([]);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      suggestPeople(query, controller.signal)
        .then((found) => {
          const chosen = new Set(invitees.map((i) => i.email.toLowerCase()));
          setSuggestions(found.filter((p) => !chosen.has(p.email.toLowerCase())));
          setActive(-1);
        })
        .catch(() => setSuggestions([])); // no directory, or too many searches: type the address
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [text, invitees]);

  const add = (invitee: Invitee) => {
    onChange(addInvitee(invitees, invitee));
    setText('');
    setSuggestions([]);
    setActive(-1);
    setInvalid(false);
    input.current?.focus();
  };

  const addTyped = () => {
    const chosen = active >= 0 ? suggestions[active] : undefined;
    if (chosen) return add({ email: chosen.email, name: chosen.name || null });
    if (!text.trim()) return;
    if (!looksLikeEmail(text)) return setInvalid(true);
    add({ email: text.trim() });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' && suggestions.length) {
      event.preventDefault();
      setActive((active + 1) % suggestions.length);
    } else if (event.key === 'ArrowUp' && suggestions.length) {
      event.preventDefault();
      setActive(active <= 0 ? suggestions.length - 1 : active - 1);
    } else if (event.key === 'Enter' || event.key === ',' || event.key === ';') {
      event.preventDefault();
      addTyped();
    } else if (event.key === 'Escape' && suggestions.length) {
      event.preventDefault();
      setSuggestions([]);
      setActive(-1);
    }
  };

  const open = suggestions.length > 0;
  return (
    <fieldset className="schedule__fieldset">
      <legend className="field-label">{t.inviteesLegend}</legend>
      {invitees.length === 0 ? (
        <p className="my-rooms__muted my-rooms__small">{t.inviteesNone}</p>
      ) : (
        <ul className="schedule__invitees" aria-label={t.inviteesLegend}>
          {invitees.map((invitee) => {
            const who = invitee.name ? `${invitee.name} <${invitee.email}>` : invitee.email;
            return (
              <li key={invitee.email} className="schedule__invitee" data-testid="invitee" data-email={invitee.email}>
                <span className="schedule__invitee-text">
                  {invitee.name && <span className="schedule__invitee-name">{invitee.name}</span>}
                  <span className="my-rooms__small">{invitee.email}</span>
                  {invitee.partstat && (
                    <span className="my-rooms__small" data-testid="invitee-answer" data-partstat={invitee.partstat}>
                      {t.inviteeAnswer(invitee.partstat)}
                    </span>
                  )}
                </span>
                <button
                  type="button"
                  className="button button--text"
                  aria-label={t.inviteeRemove(who)}
                  onClick={() => onChange(invitees.filter((i) => i.email !== invitee.email))}
                >
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <div className="schedule__invitee-row">
        <div className="my-rooms__field my-rooms__field--grow schedule__combo">
          <label className="field-label" htmlFor={inputId}>
            {t.inviteeInputLabel}
          </label>
          <input
            ref={input}
            id={inputId}
            className="input input--boxed"
            data-testid="invitee-input"
            type="text"
            inputMode="email"
            autoComplete="off"
            role="combobox"
            aria-autocomplete="list"
            aria-expanded={open}
            aria-controls={listId}
            aria-activedescendant={open && active >= 0 ? `${listId}-${active}` : undefined}
            aria-describedby={invalid ? `${hintId} ${errorId}` : hintId}
            aria-invalid={invalid}
            maxLength={254}
            value={text}
            onChange={(event) => {
              setText(event.target.value);
              setInvalid(false);
            }}
            onKeyDown={onKeyDown}
          />
          <ul id={listId} role="listbox" className="schedule__suggestions" hidden={!open} aria-label={t.inviteeInputLabel}>
            {suggestions.map((person, index) => (
              <li
                key={person.email}
                id={`${listId}-${index}`}
                role="option"
                aria-selected={index === active}
                className="schedule__suggestion"
                data-testid="invitee-suggestion"
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => add({ email: person.email, name: person.name || null })}
              >
                <span className="schedule__invitee-name">{person.name || person.email}</span>
                {person.name && <span className="my-rooms__small"> {person.email}</span>}
              </li>
            ))}
          </ul>
        </div>
        <button type="button" className="button button--secondary" data-testid="invitee-add" onClick={addTyped}>
          {t.inviteeAdd}
        </button>
      </div>
      <p id={hintId} className="my-rooms__muted my-rooms__small">
        {t.inviteeHint}
      </p>
      <span className="sr-only" aria-live="polite">
        {text.trim().length >= MIN_QUERY ? t.suggestionsCount(suggestions.length) : ''}
      </span>
      {invalid && (
        <p id={errorId} className="form-error" role="alert">
          {t.inviteeInvalid}
        </p>
      )}
    </fieldset>
  );
}

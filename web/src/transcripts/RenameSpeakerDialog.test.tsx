// @vitest-environment happy-dom
import { act, useState } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MESSAGES } from '../i18n/messages';
import { reactPage } from '../testing/reactPage';
import type { TranscriptDetail } from './api';
import { refusalReason } from './RenameSpeakerDialog';
import { TranscriptView } from './TranscriptView';

const DASH = '\u2013';

const TRANSCRIPT: TranscriptDetail = {
  id: 7,
  room_slug: 'abc-defg-hij',
  room_name: 'Comité',
  started_at: '2026-12-02T10:00:00Z',
  ended_at: '2026-12-02T10:30:00Z',
  started_by: 'x',
  status: 'complete',
  language: 'fr',
  turn_count: 3,
  can_rename: true,
  turns: [
    ['Salle 3 ' + DASH + ' locuteur 1', 'Le chantier avance.'],
    ['Bob', 'Les devis sont arrivés.'],
    ['Salle 3 ' + DASH + ' locuteur 1', 'Nous signerons lundi.'],
  ].map(([speaker, text], index) => ({
    id: index + 1,
    participant_id: speaker === 'Bob' ? 'p_bob' : 'p_room3',
    speaker: speaker!,
    user_id: null,
    started_at: `2026-12-02T10:0${index}:00Z`,
    ended_at: `2026-12-02T10:0${index}:04Z`,
    text: text!,
    language: 'fr',
  })),
};

const page = reactPage();
let announced: string[] = [];

beforeEach(() => {
  announced = [];
});

/** The records page's part: it keeps the transcript the view hands back after a rename. */
function Page({ initial, csrf }: { initial: TranscriptDetail; csrf: string | null }) {
  const [transcript, setTranscript] = useState(initial);
  return (
    <TranscriptView
      transcript={transcript}
      recordings={[]}
      initialTurn={null}
      onClose={() => undefined}
      csrfToken={csrf}
      onChange={(next, announcement) => {
        setTranscript(next);
        announced.push(announcement);
      }}
    />
  );
}

function render(transcript: TranscriptDetail = TRANSCRIPT, csrf: string | null = 'csrf-1') {
  page.show(<Page initial={transcript} csrf={csrf} />);
}

function answer(status: number, body: unknown) {
  return vi.fn(() => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })));
}

function byTestId<T extends Element = HTMLElement>(id: string): T[] {
  return [...page.container.querySelectorAll<T>(`[data-testid="${id}"]`)];
}

function dialog(): HTMLDialogElement | null {
  return page.container.querySelector('[data-testid="rename-speaker-dialog"]');
}

async function renameFirstSpeakerTo(name: string) {
  act(() => byTestId<HTMLButtonElement>('rename-speaker')[0]!.click());
  const input = page.container.querySelector<HTMLInputElement>('[data-testid="rename-speaker-name"]')!;
  act(() => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, name);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await act(async () => {
    page.container.querySelector<HTMLButtonElement>('[data-testid="rename-speaker-save"]')!.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

function speakerNames(): (string | null)[] {
  return byTestId('turn-speaker').map((e) => e.textContent);
}

describe('renaming a speaker', () => {
  it('lists each speaker once, with a labelled Rename button each', () => {
    render();
    expect(byTestId('speaker-name').map((e) => e.textContent)).toEqual([`Salle 3 ${DASH} locuteur 1`, 'Bob']);
    expect(byTestId('rename-speaker').map((b) => b.getAttribute('aria-label'))).toEqual([
      `Rename Salle 3 ${DASH} locuteur 1`,
      'Rename Bob',
    ]);
  });

  it('offers no Rename button to someone the server does not allow, or without a session', () => {
    render({ ...TRANSCRIPT, can_rename: false });
    expect(byTestId('speaker')).toHaveLength(2);
    expect(byTestId('rename-speaker')).toHaveLength(0);
    page.unmount();
    render(TRANSCRIPT, null);
    expect(byTestId('rename-speaker')).toHaveLength(0);
  });

  it('renames every turn of that speaker once the server agrees, and says so', async () => {
    const fetched = answer(200, { turns: 2 });
    vi.stubGlobal('fetch', fetched);
    render();
    act(() => byTestId<HTMLButtonElement>('rename-speaker')[0]!.click());
    expect(dialog()?.open).toBe(true);
    const input = page.container.querySelector<HTMLInputElement>('[data-testid="rename-speaker-name"]')!;
    expect(input.value).toBe(`Salle 3 ${DASH} locuteur 1`);
    expect(document.activeElement).toBe(input);
    act(() => dialog()!.querySelector<HTMLButtonElement>('[data-testid="rename-speaker-dialog-close"]')!.click());
    expect(dialog()).toBeNull();

    await renameFirstSpeakerTo('  Aïcha Benali ');
    expect(fetched).toHaveBeenCalledTimes(1);
    const [url, init] = fetched.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/transcripts/7/speakers/rename');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['X-CSRF-Token']).toBe('csrf-1');
    expect(JSON.parse(String(init.body))).toEqual({
      speaker: `Salle 3 ${DASH} locuteur 1`,
      name: 'Aïcha Benali',
      participants: ['p_room3'],
    });
    expect(dialog()).toBeNull();
    expect(speakerNames()).toEqual(['Aïcha Benali', 'Bob', 'Aïcha Benali']);
    expect(byTestId('speaker-name').map((e) => e.textContent)).toEqual(['Aïcha Benali', 'Bob']);
    expect(announced).toEqual([`“Salle 3 ${DASH} locuteur 1” is now “Aïcha Benali” (2 turns).`]);
  });

  it('lists two guests of the same name apart, and renames only the one chosen', async () => {
    const turns = (
      [
        ['p_marie1', 'Je présente le budget.'],
        ['p_marie2', 'Je suis d’accord.'],
        ['p_marie1', 'Le budget est voté.'],
      ] as const
    ).map(([participant, text], index) => ({ ...TRANSCRIPT.turns[0]!, id: index + 1, participant_id: participant, speaker: 'Marie', text }));
    const fetched = answer(200, { turns: 2 });
    vi.stubGlobal('fetch', fetched);
    render({ ...TRANSCRIPT, turns });
    expect(byTestId('speaker-name').map((e) => e.textContent)).toEqual(['Marie', 'Marie']);
    expect(byTestId('speaker-namesake').map((e) => e.textContent?.trim())).toEqual([
      'another person of this name (1)',
      'another person of this name (2)',
    ]);
    expect(byTestId('rename-speaker').map((b) => b.getAttribute('aria-label'))).toEqual([
      'Rename Marie, another person of this name (1)',
      'Rename Marie, another person of this name (2)',
    ]);
    await renameFirstSpeakerTo('Marie Dupont');
    const [, init] = fetched.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(String(init.body))).toEqual({ speaker: 'Marie', name: 'Marie Dupont', participants: ['p_marie1'] });
    expect(speakerNames()).toEqual(['Marie Dupont', 'Marie', 'Marie Dupont']);
    expect(byTestId('speaker-namesake')).toHaveLength(0);
  });

  it('keeps one speaker for a signed-in person who rejoined, and renames all their turns', async () => {
    const turns = (['p_first', 'p_again'] as const).map((participant, index) => ({
      ...TRANSCRIPT.turns[0]!,
      id: index + 1,
      participant_id: participant,
      speaker: 'Jeanne Martin',
      user_id: 42,
    }));
    const fetched = answer(200, { turns: 2 });
    vi.stubGlobal('fetch', fetched);
    render({ ...TRANSCRIPT, turns });
    expect(byTestId('speaker')).toHaveLength(1);
    await renameFirstSpeakerTo('Jeanne Martin-Leroy');
    const [, init] = fetched.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(String(init.body)).participants).toEqual(['p_first', 'p_again']);
    expect(speakerNames()).toEqual(['Jeanne Martin-Leroy', 'Jeanne Martin-Leroy']);
  });

  it('shows the server refusing the name, in the form, and keeps the turns as they were', async () => {
    vi.stubGlobal(
      'fetch',
      answer(422, {
        error: {
          code: 'invalid_request',
          message: 'body.name: Value error, must not contain invisible formatting characters (bidi or zero-width)',
        },
      }),
    );
    render();
    await renameFirstSpeakerTo('Aïcha\u202eilaneB');
    const error = page.container.querySelector('[data-testid="rename-speaker-error"]')!;
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toBe(
      'This name cannot be used: it must not contain invisible formatting characters (bidi or zero-width).',
    );
    const input = page.container.querySelector<HTMLInputElement>('[data-testid="rename-speaker-name"]')!;
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toContain(error.id);
    expect(dialog()?.open).toBe(true);
    expect(speakerNames()[0]).toBe(`Salle 3 ${DASH} locuteur 1`);
    expect(announced).toEqual([]);
  });

  it('says the transcript is still running when the server answers 409', async () => {
    vi.stubGlobal('fetch', answer(409, { error: { code: 'transcript_active', message: 'still being transcribed' } }));
    render({ ...TRANSCRIPT, status: 'active' });
    await renameFirstSpeakerTo('Aïcha Benali');
    expect(page.container.querySelector('[data-testid="rename-speaker-error"]')!.textContent).toBe(
      'This meeting is still being transcribed. Its speakers can be renamed once the transcript has stopped.',
    );
    expect(speakerNames()[0]).toBe(`Salle 3 ${DASH} locuteur 1`);
  });

  it('says who may rename when the server answers 403, and asks for a name before sending none', async () => {
    const fetched = answer(403, { error: { code: 'forbidden', message: 'no' } });
    vi.stubGlobal('fetch', fetched);
    render();
    await renameFirstSpeakerTo('   ');
    expect(fetched).not.toHaveBeenCalled();
    expect(page.container.querySelector('[data-testid="rename-speaker-error"]')!.textContent).toBe('Enter a name.');
    await act(async () => {
      const input = page.container.querySelector<HTMLInputElement>('[data-testid="rename-speaker-name"]')!;
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, 'Aïcha');
      input.dispatchEvent(new Event('input', { bubbles: true }));
      page.container.querySelector<HTMLButtonElement>('[data-testid="rename-speaker-save"]')!.click();
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    expect(page.container.querySelector('[data-testid="rename-speaker-error"]')!.textContent).toBe(
      'Only the owners and administrators of this room can rename its speakers.',
    );
  });
});

describe('refusalReason', () => {
  it('puts the reasons the server gives in the reader’s language, and keeps others as written', () => {
    const fr = MESSAGES.fr;
    expect(refusalReason('body.name: Value error, must be at most 64 characters', fr)).toBe(
      'il doit compter 64 caractères au plus',
    );
    expect(refusalReason('body.name: Value error, must not contain control characters (it must be one line)', fr)).toBe(
      'il doit tenir sur une ligne, sans caractère de contrôle',
    );
    expect(refusalReason('body.name: Value error, must not be empty', fr)).toBe('il ne doit pas être vide');
    expect(refusalReason('body.name: Field required', fr)).toBe('Field required');
  });
});

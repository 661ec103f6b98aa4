// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VisioMeeting, IFRAME_ALLOW } from './VisioMeeting';

const VISIO = 'https://visio.example.gouv.fr';
const LINK = `${VISIO}/abc-defg-hij`;
const event = (fields: Record<string, unknown>) => ({ visio: 'embed', version: 1, ...fields });

const created: VisioMeeting[] = [];

function meetingIn(options: Partial<ConstructorParameters<typeof VisioMeeting>[0]> = {}) {
  // A container outside the document: happy-dom loads no frame anyway, and says so when asked to.
  const container = document.createElement('div');
  const meeting = new VisioMeeting({ url: LINK, container, ...options });
  created.push(meeting);
  // happy-dom loads no frame: the meeting's window is a stand-in that records what it is sent.
  const posted: { message: unknown; target: string }[] = [];
  const frameWindow = { postMessage: (message: unknown, target: string) => posted.push({ message, target }) };
  Object.defineProperty(meeting.iframe, 'contentWindow', { value: frameWindow });
  const deliver = (data: unknown, origin = VISIO, source: unknown = frameWindow) =>
    window.dispatchEvent(new MessageEvent('message', { data, origin, source: source as Window }));
  return { meeting, posted, deliver };
}

afterEach(() => {
  for (const meeting of created.splice(0)) meeting.destroy();
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe('VisioMeeting', () => {
  it('frames the meeting link with the permissions a meeting needs', () => {
    const { meeting } = meetingIn();
    expect(meeting.iframe.src).toBe(LINK);
    expect(meeting.iframe.getAttribute('allow')).toBe(IFRAME_ALLOW);
    expect(meeting.origin).toBe(VISIO);
  });

  it('refuses a link that is not http(s)', () => {
    const container = document.createElement('div');
    expect(() => new VisioMeeting({ url: 'javascript:alert(1)', container })).toThrow(/http/);
  });

  it('holds commands until ready, then sends them to the Visio origin only', () => {
    const { meeting, posted, deliver } = meetingIn({ displayName: 'Camille', skipPreJoin: true });
    meeting.setAudioMuted(true);
    expect(posted).toEqual([]);
    const ready = vi.fn();
    meeting.on('ready', ready);
    deliver(event({ type: 'ready', room: 'abc-defg-hij' }));
    deliver(event({ type: 'ready', room: 'abc-defg-hij' }));
    expect(ready).toHaveBeenCalledTimes(1);
    expect(posted).toEqual([
      { message: event({ type: 'join', displayName: 'Camille', skipPreJoin: true }), target: VISIO },
      { message: event({ type: 'setAudioMuted', muted: true }), target: VISIO },
    ]);
    meeting.leave();
    expect(posted[2]).toEqual({ message: event({ type: 'leave' }), target: VISIO });
  });

  it('hands the meeting events to their handlers', () => {
    const { meeting, deliver } = meetingIn();
    const joined = vi.fn();
    const off = meeting.on('joined', joined);
    deliver(event({ type: 'ready', room: 'abc-defg-hij' }));
    const message = { type: 'joined', participantId: 'p1', participants: [], audioMuted: false, videoMuted: false };
    deliver(event(message));
    off();
    deliver(event(message));
    expect(joined).toHaveBeenCalledTimes(1);
    expect(joined).toHaveBeenCalledWith(message);
  });

  it('ignores events from another origin or another window, and logs the first once', () => {
    const { meeting, deliver } = meetingIn();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const left = vi.fn();
    meeting.on('left', left);
    deliver(event({ type: 'left' }), 'https://evil.example.org');
    deliver(event({ type: 'left' }), VISIO, window);
    deliver(event({ type: 'left' }), VISIO, null);
    expect(left).not.toHaveBeenCalled();
    const ours = warn.mock.calls.filter(([text]) => String(text).startsWith('VisioMeeting:'));
    expect(ours).toEqual([[expect.stringContaining('https://evil.example.org')]]);
  });

  it('ignores invalid events from the meeting itself', () => {
    const { meeting, deliver } = meetingIn();
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const error = vi.fn();
    meeting.on('error', error);
    deliver(event({ type: 'error', code: 'x' }));
    deliver(event({ type: 'error', code: 'x', message: 'y', extra: 1 }));
    expect(error).not.toHaveBeenCalled();
  });

  it('says not_ready when the frame loaded but the meeting never answered', () => {
    vi.useFakeTimers();
    try {
      const { meeting, posted } = meetingIn({ readyTimeoutMs: 1000 });
      const error = vi.fn();
      meeting.on('error', error);
      meeting.iframe.dispatchEvent(new Event('load'));
      expect(posted).toEqual([{ message: event({ type: 'hello' }), target: VISIO }]);
      vi.advanceTimersByTime(1000);
      expect(error).toHaveBeenCalledWith(expect.objectContaining({ type: 'error', code: 'not_ready' }));
    } finally {
      vi.useRealTimers();
    }
  });
});

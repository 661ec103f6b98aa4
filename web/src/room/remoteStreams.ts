import type { MediaKind, Source, StreamInfo } from './protocol';

/** What a remote track is: whose, which source. */
export interface RemoteTrack<Track = MediaStreamTrack, Stream = MediaStream> {
  mid: string;
  participantId: string;
  source: Source;
  kind: MediaKind;
  track: Track;
  /** A stream holding just this track, stable for as long as the track is (for `srcObject`). */
  stream: Stream;
}

interface TrackLike {
  id: string;
  readyState?: string;
}

interface TransceiverLike<Track> {
  mid: string | null;
  receiver: { track: Track };
}

/**
 * Maps the subscriber peer connection's transceivers to participants and sources.
 *
 * Each `subscriber.offer` lists which participant and source every `mid` carries; the latest list is
 * authoritative, so a mid that is no longer listed carries nothing any more (Janus may later reuse it
 * for someone else). Streams are cached by participant, source and track so that a `<video>` keeps
 * its `srcObject` across renegotiations that do not concern it.
 */
export class RemoteStreamMap<Track extends TrackLike = MediaStreamTrack, Stream = MediaStream> {
  private byMid = new Map<string, StreamInfo>();
  private cache = new Map<string, { trackId: string; stream: Stream }>();

  constructor(private readonly createStream: (track: Track) => Stream) {}

  /** Replaces the mapping with the `streams` of the latest offer. */
  setStreams(streams: readonly StreamInfo[]): void {
    this.byMid = new Map(streams.map((stream) => [stream.mid, stream]));
  }

  describe(mid: string | null): StreamInfo | undefined {
    return mid === null ? undefined : this.byMid.get(mid);
  }

  /** The remote tracks the transceivers carry now, in the order of the offer's list. */
  resolve(transceivers: readonly TransceiverLike<Track>[]): RemoteTrack<Track, Stream>[] {
    const byMid = new Map<string, Track>();
    for (const transceiver of transceivers) {
      if (transceiver.mid !== null) byMid.set(transceiver.mid, transceiver.receiver.track);
    }
    const result: RemoteTrack<Track, Stream>[] = [];
    const liveKeys = new Set<string>();
    for (const description of this.byMid.values()) {
      const track = byMid.get(description.mid);
      if (!track || track.readyState === 'ended') continue;
      const key = `${description.participant_id}/${description.source}/${description.kind}`;
      liveKeys.add(key);
      let cached = this.cache.get(key);
      if (!cached || cached.trackId !== track.id) {
        cached = { trackId: track.id, stream: this.createStream(track) };
        this.cache.set(key, cached);
      }
      result.push({
        mid: description.mid,
        participantId: description.participant_id,
        source: description.source,
        kind: description.kind,
        track,
        stream: cached.stream,
      });
    }
    for (const key of [...this.cache.keys()]) if (!liveKeys.has(key)) this.cache.delete(key);
    return result;
  }

  clear(): void {
    this.byMid.clear();
    this.cache.clear();
  }
}

import { useEffect, useRef } from 'react';

interface TrackVideoProps {
  stream: MediaStream;
  mirrored?: boolean;
  /** Fit the whole picture (screens) rather than fill the tile (cameras). */
  contain?: boolean;
  /** Called once, when the first frame is painted. */
  onFirstFrame?: () => void;
}

/** A muted, inline, autoplaying `<video>` for one stream (audio plays through `<audio>` elements). */
export function TrackVideo({ stream, mirrored = false, contain = false, onFirstFrame }: TrackVideoProps) {
  const ref = useRef<HTMLVideoElement>(null);
  const firstFrame = useRef(onFirstFrame);
  firstFrame.current = onFirstFrame;

  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    video.srcObject = stream;
    void video.play().catch(() => undefined);
    if (!firstFrame.current) return;
    let done = false;
    const fire = () => {
      if (done) return;
      done = true;
      firstFrame.current?.();
    };
    if (typeof video.requestVideoFrameCallback === 'function') {
      const handle = video.requestVideoFrameCallback(fire);
      return () => {
        done = true;
        video.cancelVideoFrameCallback(handle);
      };
    }
    video.addEventListener('playing', fire, { once: true });
    return () => {
      done = true;
      video.removeEventListener('playing', fire);
    };
  }, [stream]);

  return (
    <video
      ref={ref}
      className={`video ${mirrored ? 'video--mirrored' : ''} ${contain ? 'video--contain' : ''}`}
      autoPlay
      playsInline
      muted
    />
  );
}

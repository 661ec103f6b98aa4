/**
 * Returns `codecs` with those of `mimeType` (e.g. "video/VP8") first, the others after in their
 * order, for RTCRtpTransceiver.setCodecPreferences. Nothing is removed: the server may still pick
 * another codec the browser supports.
 */
export function preferCodec<T extends { mimeType: string }>(codecs: readonly T[], mimeType: string): T[] {
  const wanted = mimeType.toLowerCase();
  const preferred = codecs.filter((codec) => codec.mimeType.toLowerCase() === wanted);
  const others = codecs.filter((codec) => codec.mimeType.toLowerCase() !== wanted);
  return [...preferred, ...others];
}

/** Applies `preferCodec` to a transceiver where the browser supports it; never throws. */
export function setPreferredCodec(transceiver: RTCRtpTransceiver, kind: 'audio' | 'video', mimeType: string): void {
  if (typeof transceiver.setCodecPreferences !== 'function') return;
  const capabilities = globalThis.RTCRtpSender?.getCapabilities?.(kind);
  if (!capabilities) return;
  try {
    transceiver.setCodecPreferences(preferCodec(capabilities.codecs, mimeType));
  } catch (error) {
    // Codec preferences are an optimisation; the negotiation still works without them.
    console.warn('visio: could not set codec preferences', error);
  }
}

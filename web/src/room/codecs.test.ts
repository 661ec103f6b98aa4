import { describe, expect, it } from 'vitest';
import { preferCodec } from './codecs';

describe('preferCodec', () => {
  it('puts the wanted codec first and keeps the others in order', () => {
    const codecs = [{ mimeType: 'video/H264' }, { mimeType: 'video/rtx' }, { mimeType: 'video/VP8' }, { mimeType: 'video/VP9' }];
    expect(preferCodec(codecs, 'video/vp8').map((c) => c.mimeType)).toEqual(['video/VP8', 'video/H264', 'video/rtx', 'video/VP9']);
  });

  it('changes nothing when the codec is missing', () => {
    const codecs = [{ mimeType: 'audio/PCMU' }];
    expect(preferCodec(codecs, 'audio/opus')).toEqual(codecs);
  });
});

"""Live subtitles in rooms: the pool of speech workers and the worker protocol's server side.

The speech engine itself (decoding, recognition) runs in worker processes (``visio.speech``);
this package hands them participants' audio streams and brings their captions back to rooms.
docs/speech.md describes the worker protocol.
"""

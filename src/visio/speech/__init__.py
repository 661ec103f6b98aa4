"""Live subtitles: speech models, recognisers and the speech worker process."""

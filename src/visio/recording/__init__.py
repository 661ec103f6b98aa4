"""Meeting recordings: the stored rows, turning Janus's raw files into one file people can
play, retention and deletion, and the REST API that serves them."""

from visio.recording.service import RecordingReady, Recordings
from visio.recording.store import RecordingKind, RecordingStatus, RecordingStore, StoredRecording

__all__ = [
    "RecordingKind",
    "RecordingReady",
    "RecordingStatus",
    "RecordingStore",
    "Recordings",
    "StoredRecording",
]

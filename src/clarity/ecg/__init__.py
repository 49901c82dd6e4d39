"""ECG: the signal engine, digitisation, file formats and the ECG analysis API."""

"""Image handling: colour, message codecs, file I/O, registration, degradations, scenes."""

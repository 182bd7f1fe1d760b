"""The indexed library: sources, their paragraphs and sentences, and the FTS5 index over them."""

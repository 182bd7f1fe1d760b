"""factbot: answers questions by quoting its library of articles, word for word, with citations."""

__version__ = "0.1.0"

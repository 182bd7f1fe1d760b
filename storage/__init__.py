"""The indexed library: sources, their paragraphs and sentences, and the index over them.

storage.backends.open_library opens one, at a storage.target.LibraryTarget: a file (SQLite) or a
`postgresql://` URL (PostgreSQL); both keep the contract of storage.backends.base.Library.
"""

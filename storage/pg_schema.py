"""The PostgreSQL library's schema and its numbered migrations, applied in order on open.

A migration is never edited once released: a change is a new entry at the end of MIGRATIONS. The
version lives in `factbot_schema`; migrations run in one transaction under an advisory lock, so
processes opening a new library at once create it once.

Full-text search is a postings table of the very index terms the SQLite backend gives FTS5
(storage.text), with each sentence's length in terms and the library-wide totals kept beside them:
the database computes FTS5's bm25 from them (storage.pg_search), so both backends give the same
candidates in the same order. Text columns that are compared by range or sorted (terms, vocabulary words) use the "C"
collation: byte order, as SQLite compares them.
"""

from __future__ import annotations

from storage.schema import BODY_CHUNK

# pg_advisory_xact_lock keys ("FACT", "FACU"): schema changes, and every write to the library.
MIGRATION_LOCK = 0x46414354
WRITE_LOCK = 0x46414355
# pg_advisory_xact_lock key ("FACV") under which factbot before migration 2 created the cooldown
# table on first use (storage.shared); migration 2 takes it too.
COOLDOWN_LOCK = 0x46414356

MIGRATIONS: list[str] = [
    # 1: everything the SQLite schema 4 holds, the sentence index as postings.
    f"""
    CREATE TABLE sources (
        id bigint PRIMARY KEY,
        scope bigint NOT NULL,
        title text NOT NULL,
        author text,
        publisher text,
        url text,
        published text,
        origin text,
        body text NOT NULL,
        sha256 text NOT NULL,
        added_by text,
        added_at text NOT NULL,
        paragraphs integer NOT NULL,
        sentences integer NOT NULL,
        chars bigint NOT NULL,
        UNIQUE (scope, sha256)
    );
    CREATE INDEX sources_by_scope ON sources (scope, id);
    CREATE TABLE paragraphs (
        source_id bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        number integer NOT NULL,
        start integer NOT NULL,
        "end" integer NOT NULL,
        PRIMARY KEY (source_id, number)
    );
    CREATE TABLE sentences (
        id bigint PRIMARY KEY,
        source_id bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        paragraph integer NOT NULL,
        number integer NOT NULL,
        start integer NOT NULL,
        "end" integer NOT NULL,
        tokens integer NOT NULL
    );
    CREATE INDEX sentences_by_source ON sentences (source_id, id);
    -- Each body in pieces of {BODY_CHUNK} characters: a sentence is read from the one or two it lies in.
    CREATE TABLE body_chunks (
        source_id bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        n integer NOT NULL,
        text text NOT NULL,
        PRIMARY KEY (source_id, n)
    );
    -- The sentence index: which sentences hold each term, how often, and the sentence's length in
    -- terms (bm25's tf and dl). Removed with its source by the store (a source's sentence ids are
    -- one contiguous range), so it needs no second index for a foreign key.
    CREATE TABLE postings (
        term text COLLATE "C" NOT NULL,
        scope bigint NOT NULL,
        sentence_id bigint NOT NULL,
        tf integer NOT NULL,
        dl integer NOT NULL,
        PRIMARY KEY (term, scope, sentence_id)
    );
    -- Sentences holding each term, library-wide (FTS5's document frequency).
    CREATE TABLE term_stats (
        term text COLLATE "C" PRIMARY KEY,
        docs bigint NOT NULL
    );
    -- One row: a counter every change moves (other processes compare it), and bm25's totals.
    CREATE TABLE library_state (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        version bigint NOT NULL,
        sentences bigint NOT NULL,
        tokens bigint NOT NULL,
        chars bigint NOT NULL
    );
    INSERT INTO library_state (version, sentences, tokens, chars) VALUES (0, 0, 0, 0);
    CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at text NOT NULL,
        scope bigint NOT NULL,
        actor text,
        action text NOT NULL,
        source_id bigint,
        title text
    );
    CREATE INDEX events_by_scope ON events (scope, id);
    CREATE TABLE vocabulary (
        word text COLLATE "C" NOT NULL,
        scope bigint NOT NULL,
        count bigint NOT NULL,
        reversed text COLLATE "C" NOT NULL,
        PRIMARY KEY (word, scope)
    );
    CREATE INDEX vocabulary_by_ending ON vocabulary (reversed);
    CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
    """,
    # 2: the per-user ask budget the bot's processes share (storage.shared; it holds no library
    # content). Factbot before this migration made the table on first use, outside the migrations:
    # IF NOT EXISTS adopts such a table with its rows, and the lock it was made under keeps one such
    # factbot, starting while this runs, from making it at the same moment.
    f"""
    SELECT pg_advisory_xact_lock({COOLDOWN_LOCK});
    CREATE TABLE IF NOT EXISTS factbot_ask_cooldown (
        user_id bigint PRIMARY KEY,
        window_start double precision NOT NULL,
        used integer NOT NULL
    );
    """,
    # 3: each sentence's vector in meaning (storage.vectors), as SQLite's migration 6.
    """
    CREATE TABLE sentence_vectors (
        sentence_id bigint PRIMARY KEY REFERENCES sentences (id) ON DELETE CASCADE,
        scope bigint NOT NULL,
        vector bytea NOT NULL
    );
    """,
    # 4: which bot process runs which shards, with a heartbeat (storage.shards; no library content).
    """
    CREATE TABLE factbot_shards (
        process text PRIMARY KEY,
        host text NOT NULL,
        pid integer NOT NULL,
        shard_count integer NOT NULL,
        shards integer[] NOT NULL,
        started double precision NOT NULL,
        heartbeat double precision NOT NULL
    );
    """,
    # 5: votes on answers (storage.feedback), as SQLite's feedback migration.
    """
    CREATE TABLE feedback (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        scope bigint NOT NULL,
        answer_id bigint NOT NULL,
        user_id bigint NOT NULL,
        kind text NOT NULL,
        comment text,
        question text NOT NULL,
        answer text NOT NULL,
        library_version text NOT NULL,
        at text NOT NULL,
        UNIQUE (answer_id, user_id)
    );
    CREATE INDEX feedback_by_scope ON feedback (scope, id);
    CREATE INDEX feedback_by_time ON feedback (at);
    """,
    # 6: where each page of a paged source (a PDF) starts in its body, as SQLite's migration 8.
    """
    CREATE TABLE pages (
        source_id bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        number integer NOT NULL,
        start integer NOT NULL,
        PRIMARY KEY (source_id, number)
    );
    """,
    # 7: the postings' key carries each posting's tf and dl, so that ranking a search (storage.pg_search)
    # reads the index alone, not a table page per posting.
    """
    ALTER TABLE postings DROP CONSTRAINT postings_pkey;
    ALTER TABLE postings ADD CONSTRAINT postings_pkey PRIMARY KEY (term, scope, sentence_id) INCLUDE (tf, dl);
    """,
    # 8: the highest source id ever given, for a library from before it was kept, as SQLite's
    # migration 10.
    """
    INSERT INTO meta (key, value)
    SELECT 'last_source_id', greatest(
        (SELECT coalesce(max(id), 0) FROM sources),
        (SELECT coalesce(max(source_id), 0) FROM events),
        (SELECT coalesce(max(value::bigint), 0) FROM meta WHERE key = 'last_source_id'))::text
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

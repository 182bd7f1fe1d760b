"""Which of the bot's shards one process runs: `factbot run --shard-count N --shards 0,1`.

Discord sends each server's events to one shard, `(server_id >> 22) % N`, and DMs to shard 0.
Several processes (on one machine or many) each run some of the N shards over one library; every
shard must run somewhere. Sharded processes never push slash commands (`factbot sync` does, once),
and keep the per-user cooldown in the library's shared state.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.errors import SettingsError

# Discord allows up to this many shards per bot without a special arrangement; a guard on typos.
MAX_SHARD_COUNT = 4096


@dataclass(frozen=True, slots=True)
class Sharding:
    """The shard count of the whole bot and the shard ids this process runs."""

    count: int
    ids: tuple[int, ...]

    def describe(self) -> str:
        return f"shard{'s' if len(self.ids) > 1 else ''} {','.join(map(str, self.ids))} of {self.count}"


def parse_sharding(count: str | None, ids: str | None) -> Sharding | None:
    """`--shard-count` and `--shards` as given (strings, or None when absent); None without both.
    A bad value raises SettingsError with one line."""
    if count is None:
        if ids is not None:
            raise SettingsError("--shards needs --shard-count (the number of shards the whole bot runs).")
        return None
    total = _integer(count, "--shard-count")
    if not 1 <= total <= MAX_SHARD_COUNT:
        raise SettingsError(f"--shard-count must be between 1 and {MAX_SHARD_COUNT}, not {count.strip()}.")
    if ids is None:
        return Sharding(total, tuple(range(total)))
    chosen: list[int] = []
    for part in ids.split(","):
        shard = _integer(part, "--shards")
        if not 0 <= shard < total:
            raise SettingsError(
                f"--shards: shard {shard} does not exist; with --shard-count {total} they are 0 to {total - 1}."
            )
        if shard in chosen:
            raise SettingsError(f"--shards names shard {shard} twice.")
        chosen.append(shard)
    return Sharding(total, tuple(sorted(chosen)))


def _integer(text: str, flag: str) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit():
        shown = value if value.isprintable() and len(value) <= 20 else repr(value[:20])
        raise SettingsError(
            f"{flag} takes whole numbers (like --shard-count 4 --shards 0,1), not {shown or 'nothing'}."
        )
    return int(value)

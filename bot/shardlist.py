"""`factbot shards`: which bot processes run this library's shards, their last heartbeat, and the
shards nobody runs (storage.shards keeps the records)."""

from __future__ import annotations

from storage.backends.base import Library
from storage.shards import ShardProcess, shard_list, unrun

NO_PROCESS = "No bot process has recorded its shards in this library (is `factbot run` running?)."


def shard_lines(processes: list[ShardProcess]) -> list[str]:
    """One line per process, then one per shard count with shards that no live process runs."""
    if not processes:
        return [NO_PROCESS]
    lines = []
    for p in processes:
        state = f"heartbeat {p.age:.0f} s ago" if p.live else f"stale (last heartbeat {p.age:.0f} s ago)"
        lines.append(f"shards {shard_list(p.shards)} of {p.shard_count}: {p.describe()}, {state}")
    for count, missing in unrun(processes).items():
        if missing:
            lines.append(f"Nobody runs shard{'s' if len(missing) > 1 else ''} {shard_list(missing)} of {count}.")
        else:
            lines.append(f"Every shard of {count} is run.")
    if not any(p.live for p in processes):
        lines.append("No live process: every record is stale.")
    return lines


async def list_shards(library: Library) -> list[str]:
    records = await library.shard_records()
    try:
        return shard_lines(await records.processes())
    finally:
        await records.close()

"""Shards accounted for: each `factbot run` records its shards with a heartbeat in the library
(PostgreSQL) or beside it (SQLite); a process given a shard that a live process runs refuses in
one line; `factbot shards` lists the processes and the shards nobody runs."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import sys
from pathlib import Path

import pytest

from storage.backends import open_library
from storage.errors import ShardConflict
from storage.shards import (
    STALE_SECONDS,
    holding_shards,
    this_process,
)


def env_for(target: Path | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FACTBOT_"))}
    env.update(FACTBOT_DB=str(target), DISCORD_TOKEN="fake-bot-token")
    return env


async def factbot(target: Path | str, cwd: Path, *args: str) -> tuple[int, str, str]:
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env_for(target),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(cli.communicate(), 120)
    assert cli.returncode is not None
    return cli.returncode, out.decode(), err.decode()


async def test_overlapping_shards_are_refused_and_disjoint_ones_run(library_target: Path | str) -> None:
    async with await open_library(library_target) as a, await open_library(library_target) as b:
        async with holding_shards(a, 4, (0, 1)) as first:
            with pytest.raises(ShardConflict) as caught:
                async with holding_shards(b, 4, (1, 2)):
                    pass
            assert caught.value.message == (
                f"shard 1 of 4 is already run by process {os.getpid()} on {socket.gethostname()} (heartbeat 0 s ago); "
                "give this process other shards, or stop that one. Nothing was started."
            )
            with pytest.raises(ShardConflict, match="--shard-count 4, this one was given 2; every process must"):
                async with holding_shards(b, 2, (1,)):
                    pass
            async with holding_shards(b, 4, (2,)) as second:
                records = await b.shard_records()
                try:
                    listed = await records.processes()
                finally:
                    await records.close()
                assert [(p.process, p.shards) for p in listed] == [(first.process, (0, 1)), (second.process, (2,))]
        async with holding_shards(b, 4, (1, 2, 3)):  # released on the way out: free again
            pass


async def test_a_record_left_by_a_killed_process_does_not_block_a_restart(library_target: Path | str) -> None:
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()  # its pid now names no process
    async with await open_library(library_target) as library:
        records = await library.shard_records()
        try:
            ghost = dataclasses.replace(this_process(2, (0, 1)), pid=gone.pid)
            await records.claim(ghost)  # as if that process had started and been killed with -9
            async with holding_shards(library, 2, (0, 1)) as me:
                assert [p.process for p in await records.processes()] == [me.process]
        finally:
            await records.close()


async def test_the_heartbeat_moves_and_a_silent_record_goes_stale(library_target: Path | str) -> None:
    async with await open_library(library_target) as library:
        records = await library.shard_records()
        try:
            async with holding_shards(library, 2, (0,), every=0.1):
                first = (await records.processes())[0]
                await asyncio.sleep(0.5)
                later = (await records.processes())[0]
                assert later.heartbeat > first.heartbeat and later.age < 0.5 and later.live
            other = dataclasses.replace(this_process(2, (1,)), host="another-host", pid=1)
            await records.claim(other)
            listed = (await records.processes())[0]
            assert listed.live
            assert listed.host == "another-host" and not dataclasses.replace(listed, age=STALE_SECONDS + 1).live
        finally:
            await records.close()


async def test_factbot_shards_lists_processes_and_the_shards_nobody_runs(
    library_target: Path | str, tmp_path: Path
) -> None:
    code, out, err = await factbot(library_target, tmp_path, "shards")
    assert code == 0 and "No bot process has recorded its shards" in out, err
    async with await open_library(library_target) as library, holding_shards(library, 3, (0, 2)):
        code, out, err = await factbot(library_target, tmp_path, "shards")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"shards 0,2 of 3: process {os.getpid()} on {socket.gethostname()}, heartbeat ")
    assert lines[1:] == ["Nobody runs shard 1 of 3."]


async def test_a_run_given_a_shard_another_process_runs_refuses_in_one_line(
    library_target: Path | str, tmp_path: Path
) -> None:
    async with await open_library(library_target) as library, holding_shards(library, 2, (1,)):
        code, out, err = await factbot(library_target, tmp_path, "run", "--shard-count", "2", "--shards", "0,1")
    assert code == 1 and out == ""
    assert err == (
        f"factbot: shard 1 of 2 is already run by process {os.getpid()} on {socket.gethostname()} "
        f"(heartbeat {err.split('(heartbeat ')[1].split(' s ago')[0]} s ago); "
        "give this process other shards, or stop that one. Nothing was started.\n"
    )

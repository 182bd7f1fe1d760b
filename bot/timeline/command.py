"""`factbot timeline`: gather the timeline, print its list, and write its picture when asked."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.answer.engine import Engine
from bot.answer.timeline import answer_timeline, library_timeline
from bot.textview import terminal_safe
from bot.timeline.draw import draw_png, picture_size
from bot.timeline.save import save_png
from bot.timeline.text import render_text
from bot.wording import timeline_note
from storage.backends.base import Library
from storage.errors import FactbotError
from storage.models import GLOBAL_SCOPE


async def timeline_command(engine: Engine, library: Library, topic: str | None, out: Path | None) -> int:
    """`factbot timeline [TOPIC] [--out FILE.png]`: the numbered list, and the picture when asked."""
    if out is not None and out.suffix.lower() != ".png":
        raise FactbotError(f"{out} must end in .png.")
    if topic is not None:
        try:
            topic.encode("utf-8")
        except UnicodeEncodeError:
            raise FactbotError("The topic is not valid UTF-8 text.") from None
        if not topic.strip():
            raise FactbotError("Give a topic, or none for every source.")
    if topic:
        timeline = answer_timeline(await engine.ask(topic))
    else:
        timeline = await library_timeline(library, GLOBAL_SCOPE)
    if out is not None and not timeline.drawable:
        if timeline.events:
            print(terminal_safe(render_text(timeline)), end="")
        raise FactbotError(f"{timeline_note(timeline)} No picture written.")
    if out is not None:
        save_png(await asyncio.to_thread(draw_png, timeline), out)
        width, height = picture_size(timeline)
        print(terminal_safe(f"Wrote {out} ({width}×{height} px)."))
    print(terminal_safe(render_text(timeline)), end="")
    return 0

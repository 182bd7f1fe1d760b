"""Discord's validation rules and error bodies, so the fake refuses what Discord refuses.

Checks return a list of :class:`FieldError` (empty means valid); :func:`invalid_form_body` turns
them into the nested ``{"code": 50035, "errors": {...}}`` body Discord sends, which discord.py
flattens into messages like ``In data.content: Must be 2000 or fewer in length.``
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_COMPONENTS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_PLACEHOLDER_MAX = 150
V2_COMPONENTS_MAX = 40
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMAND_TOTAL_MAX = 8000
MODAL_TITLE_MAX = 45
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
COMMANDS_PER_TYPE_MAX = {1: 100, 2: 15, 3: 15}

HAS_THREAD = 1 << 5  # a message that started a thread (the thread's id is the message's)
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15

# Discord's name rule for chat-input commands and options (\w is Unicode-aware in Python).
COMMAND_NAME_RE = re.compile(r"^[-_\w]{1,32}$")


@dataclass(frozen=True)
class FieldError:
    """One invalid field: ``path`` like ("embeds", 0, "title")."""

    path: tuple[str | int, ...]
    code: str
    message: str

    def under(self, *prefix: str | int) -> FieldError:
        return FieldError((*prefix, *self.path), self.code, self.message)

    def __str__(self) -> str:
        return f"{'.'.join(map(str, self.path))}: {self.message}"


@dataclass
class DiscordError(Exception):
    """An HTTP error exactly as Discord would send it."""

    status: int
    code: int
    message: str
    field_errors: list[FieldError] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.field_errors:
            data["errors"] = _nest(self.field_errors)
        return data

    def __str__(self) -> str:
        details = "; ".join(map(str, self.field_errors))
        return f"{self.status} {self.code} {self.message}" + (f" ({details})" if details else "")


def _nest(errors: Iterable[FieldError]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for err in errors:
        node = root
        for part in err.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": err.code, "message": err.message})
    return root


def invalid_form_body(errors: list[FieldError]) -> DiscordError:
    return DiscordError(400, 50035, "Invalid Form Body", errors)


def unknown_interaction() -> DiscordError:
    return DiscordError(404, 10062, "Unknown interaction")


def already_acknowledged() -> DiscordError:
    return DiscordError(400, 40060, "Interaction has already been acknowledged.")


def unknown_webhook() -> DiscordError:
    return DiscordError(404, 10015, "Unknown Webhook")


def invalid_webhook_token() -> DiscordError:
    return DiscordError(401, 50027, "Invalid Webhook Token")


def unknown_message() -> DiscordError:
    return DiscordError(404, 10008, "Unknown Message")


def unknown_channel() -> DiscordError:
    return DiscordError(404, 10003, "Unknown Channel")


def unknown_guild() -> DiscordError:
    return DiscordError(404, 10004, "Unknown Guild")


def unknown_user() -> DiscordError:
    return DiscordError(404, 10013, "Unknown User")


def unknown_member() -> DiscordError:
    return DiscordError(404, 10007, "Unknown Member")


def empty_message() -> DiscordError:
    return DiscordError(400, 50006, "Cannot send an empty message")


def missing_access() -> DiscordError:
    """What Discord answers about a channel or guild the bot cannot see (e.g. it was removed)."""
    return DiscordError(403, 50001, "Missing Access")


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def not_author() -> DiscordError:
    return DiscordError(403, 50005, "Cannot edit a message authored by another user")


def unauthorized() -> DiscordError:
    return DiscordError(401, 0, "401: Unauthorized")


def not_found() -> DiscordError:
    return DiscordError(404, 0, "404: Not Found")


def _too_long(path: tuple[str | int, ...], limit: int) -> FieldError:
    return FieldError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _required(path: tuple[str | int, ...]) -> FieldError:
    return FieldError(path, "BASE_TYPE_REQUIRED", "This field is required")


def _length(value: Any, path: tuple[str | int, ...], limit: int, *, minimum: int = 0) -> list[FieldError]:
    text = "" if value is None else str(value)
    if len(text) > limit:
        return [_too_long(path, limit)]
    if len(text) < minimum:
        if minimum == 1 and not text:
            return [_required(path)]
        return [FieldError(path, "BASE_TYPE_MIN_LENGTH", f"Must be {minimum} or more in length.")]
    return []


# ---- messages ----


def check_message(payload: Mapping[str, Any]) -> list[FieldError]:
    """Content, embeds and components of a message create/edit or interaction message response."""
    errors = _length(payload.get("content"), ("content",), CONTENT_MAX)
    errors += check_embeds(payload.get("embeds") or [])
    errors += check_components(payload.get("components") or [], int(payload.get("flags") or 0))
    return errors


def check_embeds(embeds: list[Mapping[str, Any]]) -> list[FieldError]:
    if len(embeds) > EMBEDS_MAX:
        return [_too_long(("embeds",), EMBEDS_MAX)]
    errors: list[FieldError] = []
    total = 0
    for i, embed in enumerate(embeds):
        path = ("embeds", i)
        errors += _length(embed.get("title"), (*path, "title"), EMBED_TITLE_MAX)
        errors += _length(embed.get("description"), (*path, "description"), EMBED_DESCRIPTION_MAX)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            errors.append(_too_long((*path, "fields"), EMBED_FIELDS_MAX))
        for j, fld in enumerate(fields):
            errors += _length(fld.get("name"), (*path, "fields", j, "name"), EMBED_FIELD_NAME_MAX, minimum=1)
            errors += _length(fld.get("value"), (*path, "fields", j, "value"), EMBED_FIELD_VALUE_MAX, minimum=1)
        footer = (embed.get("footer") or {}).get("text")
        errors += _length(footer, (*path, "footer", "text"), EMBED_FOOTER_MAX)
        author = (embed.get("author") or {}).get("name")
        errors += _length(author, (*path, "author", "name"), EMBED_AUTHOR_MAX)
        total += embed_size(embed)
    if total > EMBED_TOTAL_MAX:
        errors.append(
            FieldError(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}")
        )
    return errors


def embed_size(embed: Mapping[str, Any]) -> int:
    """Characters Discord counts towards the 6000 limit."""
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    for fld in embed.get("fields") or []:
        size += len(fld.get("name") or "") + len(fld.get("value") or "")
    return size


def check_components(components: list[Mapping[str, Any]], flags: int = 0) -> list[FieldError]:
    if flags & IS_COMPONENTS_V2:
        return _check_v2_components(components)
    if len(components) > ACTION_ROWS_MAX:
        return [_too_long(("components",), ACTION_ROWS_MAX)]
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, row in enumerate(components):
        path: tuple[str | int, ...] = ("components", i)
        if row.get("type") != 1:
            errors.append(FieldError((*path, "type"), "UNION_TYPE_CHOICES", "Value must be an action row"))
            continue
        children = row.get("components") or []
        if not children:
            errors.append(FieldError((*path, "components"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."))
        if len(children) > ROW_COMPONENTS_MAX:
            errors.append(_too_long((*path, "components"), ROW_COMPONENTS_MAX))
        if len(children) > 1 and any(c.get("type") in (3, 5, 6, 7, 8) for c in children):
            errors.append(
                FieldError(
                    (*path, "components"),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
            )
        for j, child in enumerate(children):
            errors += _check_interactive(child, (*path, "components", j), seen)
    return errors


def _check_interactive(comp: Mapping[str, Any], path: tuple[str | int, ...], seen: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    ctype = comp.get("type")
    is_link = ctype == 2 and comp.get("style") in (5, 6)
    if ctype in (2, 3, 4, 5, 6, 7, 8) and not is_link:
        custom_id = comp.get("custom_id")
        errors += _length(custom_id, (*path, "custom_id"), CUSTOM_ID_MAX, minimum=1)
        if custom_id and custom_id in seen:
            errors.append(
                FieldError(
                    (*path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
                )
            )
        if custom_id:
            seen.add(custom_id)
    if ctype == 2:
        errors += _length(comp.get("label"), (*path, "label"), BUTTON_LABEL_MAX)
        if comp.get("style") == 5 and not comp.get("url"):
            errors.append(_required((*path, "url")))
    if ctype in (3, 5, 6, 7, 8):
        errors += _length(comp.get("placeholder"), (*path, "placeholder"), SELECT_PLACEHOLDER_MAX)
        options = comp.get("options") or []
        if len(options) > SELECT_OPTIONS_MAX:
            errors.append(_too_long((*path, "options"), SELECT_OPTIONS_MAX))
        if ctype == 3 and not options:
            errors.append(FieldError((*path, "options"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."))
    return errors


def _check_v2_components(components: list[Mapping[str, Any]]) -> list[FieldError]:
    """Components v2 layouts: only ids, labels and the overall count are checked."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    count = 0

    def walk(items: list[Mapping[str, Any]], path: tuple[str | int, ...]) -> None:
        nonlocal count, errors
        for i, comp in enumerate(items):
            count += 1
            here = (*path, i)
            errors += _check_interactive(comp, here, seen)
            walk(comp.get("components") or [], (*here, "components"))
            if isinstance(comp.get("accessory"), Mapping):
                count += 1
                errors += _check_interactive(comp["accessory"], (*here, "accessory"), seen)

    walk(components, ("components",))
    if count > V2_COMPONENTS_MAX:
        errors.append(_too_long(("components",), V2_COMPONENTS_MAX))
    return errors


def is_empty_message(payload: Mapping[str, Any], has_files: bool) -> bool:
    return not (
        payload.get("content")
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("sticker_ids")
        or payload.get("poll")
        or payload.get("attachments")
        or has_files
    )


# ---- interaction responses ----


def check_autocomplete(data: Mapping[str, Any]) -> list[FieldError]:
    choices = data.get("choices")
    if choices is None:
        return [_required(("choices",))]
    if len(choices) > CHOICES_MAX:
        return [_too_long(("choices",), CHOICES_MAX)]
    return _check_choices(choices, ("choices",))


def _check_choices(choices: list[Mapping[str, Any]], path: tuple[str | int, ...]) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, choice in enumerate(choices):
        errors += _length(choice.get("name"), (*path, i, "name"), CHOICE_NAME_MAX, minimum=1)
        value = choice.get("value")
        if isinstance(value, str):
            errors += _length(value, (*path, i, "value"), CHOICE_VALUE_MAX)
        elif value is None:
            errors.append(_required((*path, i, "value")))
    return errors


def check_modal(data: Mapping[str, Any]) -> list[FieldError]:
    errors = _length(data.get("title"), ("title",), MODAL_TITLE_MAX, minimum=1)
    errors += _length(data.get("custom_id"), ("custom_id",), CUSTOM_ID_MAX, minimum=1)
    components = data.get("components") or []
    if not components:
        errors.append(FieldError(("components",), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."))
    if len(components) > ACTION_ROWS_MAX:
        errors.append(_too_long(("components",), ACTION_ROWS_MAX))
    seen: set[str] = set()
    for i, top in enumerate(components):
        path: tuple[str | int, ...] = ("components", i)
        if top.get("type") == 18:  # label wrapping one component
            errors += _length(top.get("label"), (*path, "label"), TEXT_INPUT_LABEL_MAX, minimum=1)
            inner = [(top.get("component") or {}, (*path, "component"))]
        else:
            inner = [(c, (*path, "components", j)) for j, c in enumerate(top.get("components") or [])]
        for comp, cpath in inner:
            errors += _check_interactive(comp, cpath, seen)
            if comp.get("type") == 4:
                if "label" in comp:
                    errors += _length(comp.get("label"), (*cpath, "label"), TEXT_INPUT_LABEL_MAX, minimum=1)
                errors += _length(comp.get("value"), (*cpath, "value"), TEXT_INPUT_VALUE_MAX)
    return errors


# ---- application commands ----


def check_commands(definitions: list[Mapping[str, Any]]) -> list[FieldError]:
    """A bulk overwrite (PUT .../commands): each definition plus duplicate names and per-type counts."""
    errors: list[FieldError] = []
    names: dict[tuple[int, str], int] = {}
    counts: dict[int, int] = {}
    for i, definition in enumerate(definitions):
        ctype = int(definition.get("type") or 1)
        counts[ctype] = counts.get(ctype, 0) + 1
        errors += [e.under(i) for e in check_command(definition)]
        key = (ctype, str(definition.get("name")))
        if key in names:
            errors.append(
                FieldError(
                    (i, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique ({key[1]})",
                )
            )
        names[key] = i
    for ctype, count in counts.items():
        limit = COMMANDS_PER_TYPE_MAX.get(ctype, 0)
        if count > limit:
            errors.append(
                FieldError(
                    (),
                    "APPLICATION_COMMANDS_TOO_MANY",
                    f"Maximum number of application commands of type {ctype} reached ({limit})",
                )
            )
    return errors


def check_command(definition: Mapping[str, Any]) -> list[FieldError]:
    ctype = int(definition.get("type") or 1)
    name = definition.get("name")
    description = definition.get("description") or ""
    options = definition.get("options") or []
    if ctype not in (1, 2, 3, 4):
        return [FieldError(("type",), "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4).")]
    if ctype == 1:
        errors = _check_name(name, ("name",))
        errors += _length(description, ("description",), COMMAND_DESCRIPTION_MAX, minimum=1)
        errors += _check_options(options, ("options",), depth=0)
    else:
        errors = _length(name, ("name",), COMMAND_NAME_MAX, minimum=1)
        if description:
            errors.append(
                FieldError(
                    ("description",),
                    "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                    "Context menu commands cannot have description",
                )
            )
        if options:
            errors.append(
                FieldError(
                    ("options",),
                    "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS",
                    "Context menu commands cannot have options",
                )
            )
    size = command_size(definition)
    if size > COMMAND_TOTAL_MAX:
        errors.append(
            FieldError((), "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({COMMAND_TOTAL_MAX})")
        )
    return errors


def command_size(definition: Mapping[str, Any]) -> int:
    """Characters Discord counts towards 8000: names, descriptions and choice names/values, recursively."""
    size = len(str(definition.get("name") or "")) + len(str(definition.get("description") or ""))
    for choice in definition.get("choices") or []:
        size += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    for option in definition.get("options") or []:
        size += command_size(option)
    return size


def _check_name(name: Any, path: tuple[str | int, ...]) -> list[FieldError]:
    if not isinstance(name, str) or not COMMAND_NAME_RE.match(name) or name != name.lower():
        return [FieldError(path, "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name!r}")]
    return []


def _check_options(options: list[Mapping[str, Any]], path: tuple[str | int, ...], depth: int) -> list[FieldError]:
    errors: list[FieldError] = []
    if len(options) > COMMAND_OPTIONS_MAX:
        errors.append(_too_long(path, COMMAND_OPTIONS_MAX))
    kinds = {int(o.get("type") or 0) in (1, 2) for o in options}
    if len(kinds) > 1:
        errors.append(
            FieldError(
                path,
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Sub-command and sub-command group option types are mutually exclusive to all other types",
            )
        )
    seen_optional = False
    names: set[str] = set()
    for i, option in enumerate(options):
        here = (*path, i)
        otype = int(option.get("type") or 0)
        errors += _check_name(option.get("name"), (*here, "name"))
        errors += _length(option.get("description"), (*here, "description"), COMMAND_DESCRIPTION_MAX, minimum=1)
        if option.get("name") in names:
            errors.append(
                FieldError((*here, "name"), "APPLICATION_COMMAND_OPTION_NAME_NOT_UNIQUE", "Option names must be unique")
            )
        names.add(str(option.get("name")))
        if otype not in range(1, 12):
            errors.append(FieldError((*here, "type"), "BASE_TYPE_CHOICES", "Value must be one of (1..11)."))
        if (otype == 2 and depth > 0) or (otype == 1 and depth > 1):
            errors.append(
                FieldError(
                    (*here, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-commands nest at most two levels"
                )
            )
        if otype in (1, 2):
            nested = option.get("options") or []
            if otype == 2 and any(int(o.get("type") or 0) != 1 for o in nested):
                errors.append(
                    FieldError(
                        (*here, "options"),
                        "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                        "A group may only contain sub-commands",
                    )
                )
            errors += _check_options(nested, (*here, "options"), depth + 1)
            continue
        if option.get("required"):
            if seen_optional:
                errors.append(
                    FieldError(
                        (*here, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > CHOICES_MAX:
            errors.append(_too_long((*here, "choices"), CHOICES_MAX))
        if choices and option.get("autocomplete"):
            errors.append(
                FieldError(
                    (*here, "autocomplete"),
                    "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
                    "Autocomplete cannot be set with choices",
                )
            )
        errors += _check_choices(choices, (*here, "choices"))
    return errors

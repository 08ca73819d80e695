"""Reading flow files: YAML → ``Flow``, keeping the line and column of everything.

The YAML is *composed* (ruamel.yaml), not constructed: the node tree keeps every key's
position, duplicate keys are still visible (a constructor would stop at the first), and
types are checked here against the schema rather than guessed. Every problem is
collected and loading goes on, so one run reports all of them; graph checks (targets,
reachability, loops) are ``validator.py``'s.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from datetime import date, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node as YNode, ScalarNode, SequenceNode

from ivr import flow as f
from ivr.schedule import DAYS, Schedule, ScheduleError, parse_days, parse_interval

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_LANG = re.compile(r"^[a-z]{2,3}([_-][A-Za-z]{2,4})?$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$")
_DURATION_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_VAR_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_SUBFLOW_DEPTH = 8

TOP_KEYS = ("hotline_flow", "description", "language", "languages", "timezone", "start", "defaults", "prompts",
            "caller_lists", "schedules", "nodes", "subflow")
DEFAULT_KEYS = ("timeout", "retries", "invalid_prompt", "timeout_prompt")
RETRY_KEYS = ("timeout", "retries", "invalid_prompt", "timeout_prompt", "on_failure")
NODE_KEYS: dict[str, tuple[str, ...]] = {
    "play": ("prompt", "next"),
    "menu": ("prompt", "options", "store", *RETRY_KEYS),
    "input": ("prompt", "min_digits", "max_digits", "validate", "terminator", "store", "next", *RETRY_KEYS),
    "branch": ("cases", "else"),
    "queue": ("queue", "priority", "max_wait", "prompt", "after", "on_timeout", "on_unavailable"),
    "voicemail": ("prompt", "max_seconds", "silence", "beep", "mailbox", "next"),
    "callback_request": ("prompt", "confirm_prompt", "enter_prompt", "done_prompt", "confirm_digit", "change_digit",
                         "due", "note", "next", *RETRY_KEYS),
    "survey": ("prompt", "thanks_prompt", "question", "next", *RETRY_KEYS),
    "transfer": ("extension", "context", "prompt"),
    "language": ("language", "next"),
    "goto": ("target",),
    "subflow": ("flow", "next"),
    "return": (),
    "hangup": ("prompt",),
}
NODE_REQUIRED: dict[str, tuple[str, ...]] = {
    # Missing prompts are the validator's to report ("the caller would hear nothing").
    "play": ("next",),
    "menu": ("options",),
    "input": ("max_digits", "store", "next"),
    "branch": ("cases", "else"),
    "queue": ("queue",),
    "voicemail": (),
    "callback_request": ("due",),
    "survey": (),
    "transfer": ("extension",),
    "language": ("language", "next"),
    "goto": ("target",),
    "subflow": ("flow",),
    "return": (),
    "hangup": (),
}
INPUT_KINDS = ("digits", "mobile_cn", "phone")

Entries = dict[str, tuple[ScalarNode, YNode]]


def _tag(node: YNode) -> str:
    return str(getattr(node.tag, "value", node.tag))


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[f.Problem] = []

    def mark(self, node: YNode) -> f.Mark:
        return f.Mark(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, where: YNode | f.Mark, message: str) -> None:
        mark = where if isinstance(where, f.Mark) else self.mark(where)
        self.problems.append(f.Problem(mark, message))

    # --- shapes ---
    def mapping(self, node: YNode, what: str, *, duplicate: str = "key") -> Entries | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping (key: value lines), not {self.kind(node)}")
            return None
        entries: Entries = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or _tag(key) == _NULL:
                self.error(key, f"{what}: keys must be plain words or digits")
                continue
            name = str(key.value)
            if name in entries:
                first = self.mark(entries[name][0])
                self.error(key, f"duplicate {duplicate} {name!r} in {what} (first at line {first.line})")
                continue
            entries[name] = (key, value)
        return entries

    def check_keys(self, entries: Entries, allowed: Iterable[str], what: str, required: Iterable[str] = (), at: YNode | None = None) -> None:
        allowed = tuple(allowed)
        for name, (key, _value) in entries.items():
            if name not in allowed:
                self.error(key, f"unknown key {name!r} in {what}{_suggest(name, allowed)}")
        for name in required:
            if name not in entries and at is not None:
                self.error(at, f"{what} needs {name!r}")

    @staticmethod
    def kind(node: YNode) -> str:
        if isinstance(node, MappingNode):
            return "a mapping"
        if isinstance(node, SequenceNode):
            return "a list"
        return {_STR: "a string", _INT: "a number", _FLOAT: "a number", _BOOL: "true/false", _NULL: "empty",
                _TIMESTAMP: "a date"}.get(_tag(node), "a value")

    def string(self, node: YNode, what: str, *, pattern: re.Pattern[str] | None = None, hint: str = "") -> str | None:
        # Numbers are accepted where text is expected (an extension 8001, a digit 1).
        if not isinstance(node, ScalarNode) or _tag(node) not in (_STR, _INT):
            self.error(node, f"{what} must be text, not {self.kind(node)}")
            return None
        text = str(node.value)
        if not text.strip():
            self.error(node, f"{what} is empty")
            return None
        if pattern is not None and not pattern.match(text):
            self.error(node, f"{what}: {text!r} {hint or 'is not allowed here'}")
            return None
        return text

    def integer(self, node: YNode, what: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
        if not isinstance(node, ScalarNode) or _tag(node) != _INT:
            self.error(node, f"{what} must be a whole number, not {self.kind(node)}")
            return None
        value = int(str(node.value), 0)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = f"{minimum if minimum is not None else '…'} to {maximum if maximum is not None else '…'}"
            self.error(node, f"{what} must be {bounds}, not {value}")
            return None
        return value

    def boolean(self, node: YNode, what: str) -> bool | None:
        if not isinstance(node, ScalarNode) or _tag(node) != _BOOL:
            self.error(node, f"{what} must be true or false, not {self.kind(node)}")
            return None
        return str(node.value).lower() == "true"

    def duration(self, node: YNode, what: str, *, minimum: float = 0.0) -> float | None:
        """Seconds: a number, or text with a unit (500ms, 30s, 5m, 2h, 1d)."""
        if not isinstance(node, ScalarNode) or _tag(node) not in (_INT, _FLOAT, _STR):
            self.error(node, f"{what} must be a duration (seconds, or e.g. 30s, 5m, 2h), not {self.kind(node)}")
            return None
        m = _DURATION.match(str(node.value))
        if not m:
            self.error(node, f"{what}: {node.value!r} is not a duration (seconds, or e.g. 30s, 5m, 2h)")
            return None
        seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        if seconds <= minimum:
            self.error(node, f"{what} must be more than {minimum:g} s")
            return None
        return seconds

    def items(self, node: YNode, what: str) -> list[YNode]:
        """A list, or a single value standing for a list of one."""
        if isinstance(node, SequenceNode):
            return list(node.value)
        if isinstance(node, MappingNode):
            self.error(node, f"{what} must be a value or a list, not a mapping")
            return []
        return [node]

    def date_value(self, node: YNode, what: str) -> date | None:
        if not isinstance(node, ScalarNode) or _tag(node) not in (_STR, _TIMESTAMP):
            self.error(node, f"{what} must be a date (YYYY-MM-DD), not {self.kind(node)}")
            return None
        try:
            return date.fromisoformat(str(node.value).strip())
        except ValueError:
            self.error(node, f"{what}: {node.value!r} is not a date (YYYY-MM-DD)")
            return None


def _compose(path: Path, reader: _Reader) -> YNode | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        reader.error(f.Mark(reader.file, 1, 1), "no such flow file")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reader.error(f.Mark(reader.file, 1, 1), f"cannot read the flow file: {exc}")
        return None
    try:
        node = YAML(typ="rt").compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f.Mark(reader.file, mark.line + 1, mark.column + 1) if mark else f.Mark(reader.file, 1, 1)
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        hint = "; quote '*' and '#' (\"*\": main)" if "alias" in problem or "anchor" in problem else ""
        reader.error(where, f"not valid YAML: {problem}{hint}")
        return None
    except YAMLError as exc:
        reader.error(f.Mark(reader.file, 1, 1), f"not valid YAML: {exc}")
        return None
    if node is None:
        reader.error(f.Mark(reader.file, 1, 1), "the flow file is empty")
    return node


def load_flow(path: str | Path, *, default_zone: tzinfo, display_name: str | None = None, _stack: tuple[Path, ...] = ()) -> tuple[f.Flow | None, list[f.Problem]]:
    """Load one flow file (and the sub-flows it names). Returns the flow, or None when it
    is too broken to build, and every problem found while reading it."""
    path = Path(path)
    reader = _Reader(display_name or str(path))
    root = _compose(path, reader)
    if root is None:
        return None, reader.problems
    flow = _Builder(reader, path, default_zone, _stack).build(root)
    return flow, reader.problems


class _Builder:
    def __init__(self, reader: _Reader, path: Path, zone: tzinfo, stack: tuple[Path, ...]) -> None:
        self.r = reader
        self.path = path
        self.default_zone = zone
        self.stack = stack + (path.resolve(),)
        self.defaults: dict[str, Any] = {"timeout": 5.0, "retries": 2, "invalid_prompt": [], "timeout_prompt": []}

    def build(self, root: YNode) -> f.Flow | None:
        r = self.r
        top = r.mapping(root, "the flow file")
        if top is None:
            return None
        r.check_keys(top, TOP_KEYS, "the flow file", required=("hotline_flow", "start", "nodes"), at=root)
        version = 1
        if "hotline_flow" in top:
            key, value = top["hotline_flow"]
            number = r.integer(value, "hotline_flow (the schema version)")
            if number is not None and number not in f.SCHEMA_VERSIONS:
                r.error(value, f"schema version {number} is not supported (this Hotline reads {', '.join(map(str, f.SCHEMA_VERSIONS))})")
                return None
            version = number or 1

        language = "zh"
        if "language" in top:
            language = r.string(top["language"][1], "language", pattern=_LANG, hint="is not a language code such as zh or en") or language
        languages = [language]
        if "languages" in top:
            languages = []
            for item in r.items(top["languages"][1], "languages"):
                code = r.string(item, "languages", pattern=_LANG, hint="is not a language code such as zh or en")
                if code and code not in languages:
                    languages.append(code)
            if language not in languages:
                r.error(top["languages"][1], f"languages must include the flow's language {language!r}")
                languages.insert(0, language)

        zone = self.default_zone
        if "timezone" in top:
            zone = self._zone(top["timezone"][1]) or zone

        start = self._ref(top["start"][1], "start") if "start" in top else None
        flow = f.Flow(
            name=self.path.stem,
            path=str(self.path),
            version=version,
            start=start or f.Ref("", r.mark(root)),
            language=language,
            languages=languages,
            zone=zone,
        )
        if "description" in top:
            flow.description = r.string(top["description"][1], "description") or ""
        if "subflow" in top:
            flow.is_subflow = bool(r.boolean(top["subflow"][1], "subflow"))
        if "defaults" in top:
            self._defaults(top["defaults"][1])
        if "prompts" in top:
            self._prompts(top["prompts"][1], flow)
        if "caller_lists" in top:
            self._caller_lists(top["caller_lists"][1], flow)
        if "schedules" in top:
            self._schedules(top["schedules"][1], flow)
        if "nodes" in top:
            nodes = r.mapping(top["nodes"][1], "nodes", duplicate="node")
            for name, (key, value) in (nodes or {}).items():
                if not _IDENT.match(name):
                    r.error(key, f"node name {name!r}: use letters, digits, '_' and '-' (starting with a letter)")
                    continue
                node = self._node(name, key, value)
                if node is not None:
                    flow.nodes[name] = node
        return flow

    # --- top-level sections ---
    def _zone(self, node: YNode) -> tzinfo | None:
        name = self.r.string(node, "timezone")
        if name is None:
            return None
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.r.error(node, f"timezone: {name!r} is not a known time zone (e.g. Asia/Shanghai)")
            return None

    def _ref(self, node: YNode, what: str) -> f.Ref | None:
        name = self.r.string(node, what)
        return f.Ref(name, self.r.mark(node)) if name else None

    def _prompt_uses(self, node: YNode, what: str) -> list[f.PromptUse]:
        uses = []
        for item in self.r.items(node, what):
            name = self.r.string(item, what)
            if name:
                uses.append(f.PromptUse(name, self.r.mark(item)))
        return uses

    def _defaults(self, node: YNode) -> None:
        entries = self.r.mapping(node, "defaults")
        if entries is None:
            return
        self.r.check_keys(entries, DEFAULT_KEYS, "defaults")
        if "timeout" in entries:
            self.defaults["timeout"] = self.r.duration(entries["timeout"][1], "defaults.timeout") or 5.0
        if "retries" in entries:
            retries = self.r.integer(entries["retries"][1], "defaults.retries", minimum=0, maximum=9)
            self.defaults["retries"] = 2 if retries is None else retries
        for key in ("invalid_prompt", "timeout_prompt"):
            if key in entries:
                self.defaults[key] = self._prompt_uses(entries[key][1], f"defaults.{key}")

    def _prompts(self, node: YNode, flow: f.Flow) -> None:
        r = self.r
        entries = r.mapping(node, "prompts", duplicate="prompt")
        for name, (key, value) in (entries or {}).items():
            mark = r.mark(key)
            file = f"hotline/{name}"
            text: dict[str, str] = {}
            if isinstance(value, ScalarNode):
                spoken = r.string(value, f"prompt {name!r}")
                if spoken:
                    text[flow.language] = spoken
            else:
                fields = r.mapping(value, f"prompt {name!r}")
                if fields is None:
                    continue
                r.check_keys(fields, ("file", "text"), f"prompt {name!r}")
                if "file" in fields:
                    file = r.string(fields["file"][1], f"prompt {name!r} file") or file
                if "text" in fields:
                    text_node = fields["text"][1]
                    if isinstance(text_node, ScalarNode):
                        spoken = r.string(text_node, f"prompt {name!r} text")
                        if spoken:
                            text[flow.language] = spoken
                    else:
                        for lang, (lang_key, lang_value) in (r.mapping(text_node, f"prompt {name!r} text") or {}).items():
                            if lang not in flow.languages:
                                r.error(lang_key, f"prompt {name!r}: language {lang!r} is not one of the flow's languages ({', '.join(flow.languages)})")
                                continue
                            spoken = r.string(lang_value, f"prompt {name!r} text ({lang})")
                            if spoken:
                                text[lang] = spoken
            flow.prompts[name] = f.Prompt(name, file, text, mark)

    def _caller_lists(self, node: YNode, flow: f.Flow) -> None:
        r = self.r
        for name, (key, value) in (r.mapping(node, "caller_lists", duplicate="list") or {}).items():
            patterns = []
            for item in r.items(value, f"caller list {name!r}"):
                number = r.string(item, f"caller list {name!r}")
                if number is None:
                    continue
                body = number[:-1] if number.endswith("*") else number
                if not f.normalize_number(body) or any(ch not in "0123456789+- ()" for ch in body):
                    r.error(item, f"caller list {name!r}: {number!r} is not a number or a prefix ending in '*'")
                    continue
                patterns.append(number)
            flow.caller_lists[name] = f.CallerList(name, patterns, r.mark(key))

    def _schedules(self, node: YNode, flow: f.Flow) -> None:
        r = self.r
        for name, (key, value) in (r.mapping(node, "schedules", duplicate="schedule") or {}).items():
            what = f"schedule {name!r}"
            fields = r.mapping(value, what)
            if fields is None:
                continue
            r.check_keys(fields, ("timezone", "weekly", "holidays", "workdays", "workday_as"), what, required=("weekly",), at=key)
            schedule = Schedule(name=name, zone=flow.zone)
            if "timezone" in fields:
                schedule.zone = self._zone(fields["timezone"][1]) or flow.zone
            if "weekly" in fields:
                day_owner: dict[int, str] = {}
                for day_text, (day_key, hours) in (r.mapping(fields["weekly"][1], f"{what} weekly") or {}).items():
                    try:
                        days = parse_days(day_text)
                    except ScheduleError as exc:
                        r.error(day_key, f"{what}: {exc}")
                        continue
                    intervals = []
                    for item in r.items(hours, f"{what} {day_text}"):
                        if isinstance(item, ScalarNode) and _tag(item) == _NULL:
                            continue  # "sun: " or "sun: []": closed
                        text = r.string(item, f"{what} {day_text}")
                        if text is None:
                            continue
                        if text.strip().lower() == "closed":
                            continue
                        try:
                            intervals.append((parse_interval(text), item))
                        except ScheduleError as exc:
                            r.error(item, f"{what}: {exc}")
                    intervals.sort(key=lambda pair: pair[0].start_min)
                    for (a, _), (b, b_node) in zip(intervals, intervals[1:]):
                        if b.start_min < a.end_min:
                            r.error(b_node, f"{what}: {b} overlaps {a} on {day_text}")
                    for day in days:
                        if day in day_owner:
                            r.error(day_key, f"{what}: {DAYS[day]} is given twice (also in {day_owner[day]!r})")
                            continue
                        day_owner[day] = day_text
                        schedule.weekly[day] = [interval for interval, _ in intervals]
                # An overnight interval must not run into the next day's first interval.
                for day, intervals_today in schedule.weekly.items():
                    tomorrow = schedule.weekly.get((day + 1) % 7, [])
                    for interval in intervals_today:
                        spill = interval.end_min - 24 * 60
                        if spill > 0 and tomorrow and tomorrow[0].start_min < spill:
                            r.error(fields["weekly"][0], f"{what}: {DAYS[day]} {interval} runs into {DAYS[(day + 1) % 7]} {tomorrow[0]}")
                if not any(schedule.weekly.values()):
                    r.error(fields["weekly"][0], f"{what} is never open: give hours for at least one day")
            for field_name in ("holidays", "workdays"):
                if field_name in fields:
                    dates = set()
                    for item in r.items(fields[field_name][1], f"{what} {field_name}"):
                        day = r.date_value(item, f"{what} {field_name}")
                        if day is not None:
                            dates.add(day)
                    setattr(schedule, field_name, frozenset(dates))
            for both in sorted(schedule.holidays & schedule.workdays):
                r.error(fields["workdays"][1], f"{what}: {both} is both a holiday and a make-up workday")
            if "workday_as" in fields:
                text = r.string(fields["workday_as"][1], f"{what} workday_as")
                if text is not None:
                    if text.lower() not in DAYS:
                        r.error(fields["workday_as"][1], f"{what} workday_as: {text!r} is not a day (mon … sun)")
                    else:
                        schedule.workday_as = DAYS.index(text.lower())
            flow.schedules[name] = schedule
            flow.schedule_marks[name] = r.mark(key)

    # --- nodes ---
    def _node(self, name: str, key: ScalarNode, value: YNode) -> f.AnyNode | None:
        r = self.r
        what = f"node {name!r}"
        fields = r.mapping(value, what)
        if fields is None:
            return None
        if "type" not in fields:
            r.error(key, f"{what} needs 'type' (one of: {', '.join(f.NODE_TYPES)})")
            return None
        type_name = r.string(fields["type"][1], f"{what} type")
        if type_name is None:
            return None
        if type_name not in f.NODE_TYPES:
            r.error(fields["type"][1], f"{what}: unknown type {type_name!r}{_suggest(type_name, f.NODE_TYPES)}")
            return None
        what = f"{type_name} node {name!r}"
        r.check_keys(fields, ("type", *NODE_KEYS[type_name]), what, required=NODE_REQUIRED[type_name], at=key)
        mark = r.mark(key)
        builder: Callable[[str, f.Mark, Entries, str], f.AnyNode | None] = getattr(self, f"_node_{type_name}")
        return builder(name, mark, fields, what)

    def _get(self, fields: Entries, key: str) -> YNode | None:
        return fields[key][1] if key in fields else None

    def _opt_ref(self, fields: Entries, key: str, what: str) -> f.Ref | None:
        node = self._get(fields, key)
        return self._ref(node, f"{what} {key}") if node is not None else None

    def _req_ref(self, fields: Entries, key: str, what: str, mark: f.Mark) -> f.Ref:
        # A missing required key was reported by check_keys; a placeholder keeps building.
        return self._opt_ref(fields, key, what) or f.Ref("", mark)

    def _prompts_of(self, fields: Entries, key: str, what: str) -> list[f.PromptUse]:
        node = self._get(fields, key)
        return self._prompt_uses(node, f"{what} {key}") if node is not None else []

    def _retrying(self, fields: Entries, what: str) -> dict[str, Any]:
        r = self.r
        values: dict[str, Any] = {
            "timeout_s": self.defaults["timeout"],
            "retries": self.defaults["retries"],
            "invalid_prompts": list(self.defaults["invalid_prompt"]),
            "timeout_prompts": list(self.defaults["timeout_prompt"]),
            "on_failure": self._opt_ref(fields, "on_failure", what),
        }
        if "timeout" in fields:
            values["timeout_s"] = r.duration(fields["timeout"][1], f"{what} timeout") or values["timeout_s"]
        if "retries" in fields:
            retries = r.integer(fields["retries"][1], f"{what} retries", minimum=0, maximum=9)
            if retries is not None:
                values["retries"] = retries
        if "invalid_prompt" in fields:
            values["invalid_prompts"] = self._prompts_of(fields, "invalid_prompt", what)
        if "timeout_prompt" in fields:
            values["timeout_prompts"] = self._prompts_of(fields, "timeout_prompt", what)
        return values

    def _store(self, fields: Entries, what: str) -> str | None:
        node = self._get(fields, "store")
        if node is None:
            return None
        return self.r.string(node, f"{what} store", pattern=_VAR_NAME, hint="is not a variable name (lower case letters, digits, '_')")

    def _node_play(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        return f.PlayNode(id=name, mark=mark, prompts=self._prompts_of(fields, "prompt", what), next=self._req_ref(fields, "next", what, mark))

    def _node_menu(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        r = self.r
        options: dict[str, f.Ref] = {}
        option_marks: dict[str, f.Mark] = {}
        node = self._get(fields, "options")
        if node is not None:
            for digit, (key, target) in (r.mapping(node, f"{what} options", duplicate="digit") or {}).items():
                if len(digit) != 1 or digit not in f.DTMF:
                    r.error(key, f"{what}: option {digit!r} is not one key (0-9, '*' or '#')")
                    continue
                ref = self._ref(target, f"{what} option {digit}")
                if ref:
                    options[digit] = ref
                    option_marks[digit] = r.mark(key)
            if not options and isinstance(node, MappingNode):
                r.error(node, f"{what} has no options")
        return f.MenuNode(id=name, mark=mark, prompts=self._prompts_of(fields, "prompt", what), options=options,
                          option_marks=option_marks, store=self._store(fields, what), **self._retrying(fields, what))

    def _node_input(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        r = self.r
        max_digits = 1
        if "max_digits" in fields:
            max_digits = r.integer(fields["max_digits"][1], f"{what} max_digits", minimum=1, maximum=32) or 1
        min_digits = max_digits
        if "min_digits" in fields:
            value = r.integer(fields["min_digits"][1], f"{what} min_digits", minimum=1, maximum=32)
            if value is not None:
                if value > max_digits:
                    r.error(fields["min_digits"][1], f"{what}: min_digits {value} is more than max_digits {max_digits}")
                min_digits = value
        kind = "digits"
        if "validate" in fields:
            text = r.string(fields["validate"][1], f"{what} validate")
            if text is not None:
                if text not in INPUT_KINDS:
                    r.error(fields["validate"][1], f"{what} validate: {text!r} is not one of {', '.join(INPUT_KINDS)}{_suggest(text, INPUT_KINDS)}")
                else:
                    kind = text
        terminator = "#"
        if "terminator" in fields:
            node = fields["terminator"][1]
            if isinstance(node, ScalarNode) and _tag(node) == _NULL:
                terminator = ""
            else:
                text = r.string(node, f"{what} terminator")
                if text is not None and text != "#":
                    # Asterisk's GET DATA ends input with '#' only (ast_readstring's enders).
                    r.error(node, f"{what} terminator must be '#' (Asterisk ends input with '#') or empty")
                elif text is not None:
                    terminator = text
        store = self._store(fields, what) or ""
        return f.InputNode(id=name, mark=mark, prompts=self._prompts_of(fields, "prompt", what), min_digits=min_digits,
                           max_digits=max_digits, kind=kind, terminator=terminator, store=store,  # type: ignore[arg-type]
                           next=self._req_ref(fields, "next", what, mark), **self._retrying(fields, what))

    def _node_branch(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        r = self.r
        cases: list[f.Case] = []
        node = self._get(fields, "cases")
        if node is not None:
            if not isinstance(node, SequenceNode):
                r.error(node, f"{what} cases must be a list, not {r.kind(node)}")
            else:
                for index, item in enumerate(node.value, 1):
                    case = self._case(item, f"{what} case {index}")
                    if case:
                        cases.append(case)
                if not node.value:
                    r.error(node, f"{what} has no cases")
        return f.BranchNode(id=name, mark=mark, cases=cases, otherwise=self._req_ref(fields, "else", what, mark))

    def _case(self, node: YNode, what: str) -> f.Case | None:
        r = self.r
        fields = r.mapping(node, what)
        if fields is None:
            return None
        r.check_keys(fields, ("schedule", "open", "caller_in", "variable", "equals", "in", "set", "goto"), what, required=("goto",), at=node)
        kinds = [k for k in ("schedule", "caller_in", "variable") if k in fields]
        if len(kinds) != 1:
            r.error(node, f"{what} needs exactly one of 'schedule', 'caller_in' or 'variable'")
            return None
        mark = r.mark(fields[kinds[0]][1])
        condition: f.Condition | None = None
        if kinds[0] == "schedule":
            schedule = r.string(fields["schedule"][1], f"{what} schedule")
            is_open = True
            if "open" in fields:
                value = r.boolean(fields["open"][1], f"{what} open")
                is_open = True if value is None else value
            for extra in ("equals", "in", "set"):
                if extra in fields:
                    r.error(fields[extra][0], f"{what}: {extra!r} goes with 'variable', not 'schedule'")
            condition = f.ScheduleCondition(schedule, is_open, mark) if schedule else None
        elif kinds[0] == "caller_in":
            name = r.string(fields["caller_in"][1], f"{what} caller_in")
            for extra in ("open", "equals", "in", "set"):
                if extra in fields:
                    r.error(fields[extra][0], f"{what}: {extra!r} does not go with 'caller_in'")
            condition = f.CallerCondition(name, mark) if name else None
        else:
            variable = r.string(fields["variable"][1], f"{what} variable", pattern=_VAR_NAME, hint="is not a variable name")
            tests = [k for k in ("equals", "in", "set") if k in fields]
            if "open" in fields:
                r.error(fields["open"][0], f"{what}: 'open' goes with 'schedule'")
            if len(tests) != 1:
                r.error(node, f"{what}: a variable case needs one of 'equals', 'in' or 'set'")
                return None
            equals: tuple[str, ...] | None = None
            is_set: bool | None = None
            if tests[0] == "equals":
                value = r.string(fields["equals"][1], f"{what} equals")
                equals = (value,) if value is not None else None
            elif tests[0] == "in":
                values = [r.string(item, f"{what} in") for item in r.items(fields["in"][1], f"{what} in")]
                equals = tuple(v for v in values if v is not None)
            else:
                is_set = r.boolean(fields["set"][1], f"{what} set")
            if variable is None or (equals is None and is_set is None):
                return None
            condition = f.VariableCondition(variable, equals, is_set, mark)
        target = self._opt_ref(fields, "goto", what)
        if condition is None or target is None:
            return None
        return f.Case(condition, target)

    def _node_queue(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        r = self.r
        queue = ""
        if "queue" in fields:
            # Asterisk queue names: no commas or spaces (they would split the Queue() arguments).
            queue = r.string(fields["queue"][1], f"{what} queue", pattern=re.compile(r"^[A-Za-z0-9_\-.]+$"),
                             hint="is not an Asterisk queue name (letters, digits, '_', '-', '.')") or ""
        priority = 0
        if "priority" in fields:
            priority = r.integer(fields["priority"][1], f"{what} priority", minimum=0, maximum=1000) or 0
        max_wait = None
        if "max_wait" in fields:
            max_wait = r.duration(fields["max_wait"][1], f"{what} max_wait")
        node = f.QueueNode(id=name, mark=mark, queue=queue, priority=priority, max_wait_s=max_wait,
                           prompts=self._prompts_of(fields, "prompt", what), after=self._opt_ref(fields, "after", what),
                           on_timeout=self._opt_ref(fields, "on_timeout", what), on_unavailable=self._opt_ref(fields, "on_unavailable", what))
        if max_wait is not None and node.on_timeout is None:
            r.error(fields["max_wait"][0], f"{what} has max_wait but no on_timeout: where does the caller go when the wait is over?")
        return node

    def _node_voicemail(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        r = self.r
        node = f.VoicemailNode(id=name, mark=mark, prompts=self._prompts_of(fields, "prompt", what), next=self._opt_ref(fields, "next", what))
        if "max_seconds" in fields:
            node.max_seconds = r.duration(fields["max_seconds"][1], f"{what} max_seconds") or node.max_seconds
        if "silence" in fields:
            silence_node = fields["silence"][1]
            if isinstance(silence_node, ScalarNode) and _tag(silence_node) == _NULL:
                node.silence_s = None
            else:
                node.silence_s = r.duration(silence_node, f"{what} silence") or node.silence_s
        if "beep" in fields:
            beep = r.boolean(fields["beep"][1], f"{what} beep")
            node.beep = True if beep is None else beep
        if "mailbox" in fields:
            node.mailbox = r.string(fields["mailbox"][1], f"{what} mailbox") or ""
        return node

    def _node_callback_request(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        r = self.r
        due = f.Due(86400.0, None, mark)
        if "due" in fields:
            due_fields = r.mapping(fields["due"][1], f"{what} due")
            if due_fields is not None:
                r.check_keys(due_fields, ("within", "schedule"), f"{what} due")
                within = 0.0
                if "within" in due_fields:
                    within = r.duration(due_fields["within"][1], f"{what} due.within") or 0.0
                schedule = None
                if "schedule" in due_fields:
                    schedule = r.string(due_fields["schedule"][1], f"{what} due.schedule")
                if "within" not in due_fields and "schedule" not in due_fields:
                    r.error(fields["due"][1], f"{what} due needs 'within' (e.g. 2h) and/or 'schedule'")
                due = f.Due(within, schedule, r.mark(fields["due"][1]))
        digits = {}
        for key, default in (("confirm_digit", "1"), ("change_digit", "2")):
            digits[key] = default
            if key in fields:
                text = r.string(fields[key][1], f"{what} {key}")
                if text is not None and (len(text) != 1 or text not in f.DTMF):
                    r.error(fields[key][1], f"{what} {key}: {text!r} is not one key")
                elif text is not None:
                    digits[key] = text
        if digits["confirm_digit"] == digits["change_digit"]:
            key = "change_digit" if "change_digit" in fields else "confirm_digit"
            r.error(fields[key][1], f"{what}: confirm_digit and change_digit are both {digits['confirm_digit']!r}")
        note = ""
        if "note" in fields:
            note = r.string(fields["note"][1], f"{what} note") or ""
        return f.CallbackNode(id=name, mark=mark, prompts=self._prompts_of(fields, "prompt", what),
                              confirm_prompts=self._prompts_of(fields, "confirm_prompt", what),
                              enter_prompts=self._prompts_of(fields, "enter_prompt", what),
                              done_prompts=self._prompts_of(fields, "done_prompt", what), due=due, note=note,
                              next=self._opt_ref(fields, "next", what), **digits, **self._retrying(fields, what))

    def _node_survey(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        question = "satisfaction"
        if "question" in fields:
            question = self.r.string(fields["question"][1], f"{what} question", pattern=_VAR_NAME, hint="is not a short name") or question
        return f.SurveyNode(id=name, mark=mark, prompts=self._prompts_of(fields, "prompt", what),
                            thanks_prompts=self._prompts_of(fields, "thanks_prompt", what), question=question,
                            next=self._opt_ref(fields, "next", what), **self._retrying(fields, what))

    def _node_transfer(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        r = self.r
        word = re.compile(r"^[A-Za-z0-9_\-+*#.]+$")
        extension = ""
        if "extension" in fields:
            extension = r.string(fields["extension"][1], f"{what} extension", pattern=word, hint="is not a dialplan extension") or ""
        context = None
        if "context" in fields:
            context = r.string(fields["context"][1], f"{what} context", pattern=word, hint="is not a dialplan context")
        return f.TransferNode(id=name, mark=mark, extension=extension, context=context, prompts=self._prompts_of(fields, "prompt", what))

    def _node_language(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        language = ""
        language_mark = mark
        if "language" in fields:
            language = self.r.string(fields["language"][1], f"{what} language", pattern=_LANG, hint="is not a language code") or ""
            language_mark = self.r.mark(fields["language"][1])
        return f.LanguageNode(id=name, mark=mark, language=language, language_mark=language_mark, next=self._req_ref(fields, "next", what, mark))

    def _node_goto(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        return f.GotoNode(id=name, mark=mark, target=self._req_ref(fields, "target", what, mark))

    def _node_subflow(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        r = self.r
        sub: f.Flow | None = None
        path_text = ""
        if "flow" in fields:
            node = fields["flow"][1]
            path_text = r.string(node, f"{what} flow") or ""
            if path_text:
                sub_path = (self.path.parent / path_text)
                if not sub_path.suffix:
                    sub_path = sub_path.with_suffix(".yaml")
                if sub_path.resolve() in self.stack:
                    r.error(node, f"{what}: {path_text!r} includes itself (sub-flows cannot recurse)")
                elif len(self.stack) >= MAX_SUBFLOW_DEPTH:
                    r.error(node, f"{what}: sub-flows nested deeper than {MAX_SUBFLOW_DEPTH}")
                elif not sub_path.is_file():
                    r.error(node, f"{what}: no sub-flow file {str(sub_path)!r}")
                else:
                    display = str(Path(r.file).parent / Path(path_text).with_suffix(sub_path.suffix)) if r.file != str(self.path) else str(sub_path)
                    sub, problems = load_flow(sub_path, default_zone=self.default_zone, display_name=display, _stack=self.stack)
                    r.problems.extend(problems)
                    if sub is not None and not sub.is_subflow:
                        r.error(node, f"{what}: {path_text!r} is not marked 'subflow: true'")
        return f.SubflowNode(id=name, mark=mark, path=path_text, flow=sub, next=self._opt_ref(fields, "next", what))

    def _node_return(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        return f.ReturnNode(id=name, mark=mark)

    def _node_hangup(self, name: str, mark: f.Mark, fields: Entries, what: str) -> f.AnyNode:
        return f.HangupNode(id=name, mark=mark, prompts=self._prompts_of(fields, "prompt", what))

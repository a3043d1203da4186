"""Judge prompt templates: a text file with system and user sections (single- and multi-turn), rendered per
battle and order into chat messages. The default is MT-bench's pairwise prompt (prompts/pair-v2.txt); a user
replaces it with their own file of the same shape."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from arenapref.data.errors import DataError

DEFAULT_TEMPLATE = "pair-v2.txt"
SECTIONS = ("system", "user", "system multi-turn", "user multi-turn")
PLACEHOLDERS = {
    "user": {"question", "answer_a", "answer_b"},
    "user multi-turn": {"conversation_a", "conversation_b"},
    "system": set(),
    "system multi-turn": set(),
}
_HEADER = re.compile(r"^=== (.+?) ===[ \t]*$", re.MULTILINE)
TRUNCATION_MARK = "\n[... truncated ...]"

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class Template:
    """The four sections of a judge prompt file; `name` is the file it came from."""

    name: str
    system: str
    user: str
    system_multi: str
    user_multi: str

    @property
    def text(self) -> str:
        """Every section, for hashing into a cache key or a model configuration."""
        return "\n".join((self.system, self.user, self.system_multi, self.user_multi))


def default_template_path() -> Path:
    return Path(str(resources.files("arenapref.judge") / "prompts" / DEFAULT_TEMPLATE))


def load_template(path: str | Path | None = None) -> Template:
    """Read and check a template file (default: MT-bench's pair-v2); DataError names the file and the section."""
    source = Path(path) if path is not None else default_template_path()
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(str(source), f"cannot read the judge prompt ({exc})") from None
    return parse_template(text, str(source))


def parse_template(text: str, name: str = "<template>") -> Template:
    """Split a template text into its sections and check each one's placeholders."""
    headers = list(_HEADER.finditer(text))
    sections: dict[str, str] = {}
    for i, match in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        sections[match.group(1).strip()] = text[match.end() : end].strip("\n")
    missing = [s for s in SECTIONS if not sections.get(s, "").strip()]
    if missing:
        raise DataError(name, f"judge prompt lacks section(s) {', '.join(missing)} (headers like '=== user ===')")
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise DataError(name, f"unknown judge prompt section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    for section, allowed in PLACEHOLDERS.items():
        try:
            used = {f for _, f, _, _ in string.Formatter().parse(sections[section]) if f is not None}
        except ValueError as exc:
            hint = "write literal braces as {{ and }}"
            raise DataError(name, f"bad placeholder ({exc}); {hint}", field=section) from None
        if used - allowed:
            raise DataError(
                name,
                f"unknown placeholder(s) {', '.join(sorted(used - allowed))}; allowed: {', '.join(sorted(allowed))}",
                field=section,
            )
    return Template(
        name, sections["system"], sections["user"], sections["system multi-turn"], sections["user multi-turn"]
    )


def clip(text: str | None, max_chars: int | None) -> tuple[str, bool]:
    """The text (None as empty), cut to `max_chars` with a visible mark; and whether it was cut."""
    text = text or ""
    if max_chars is None or len(text) <= max_chars:
        return text, False
    return text[:max_chars] + TRUNCATION_MARK, True


def conversation(prompt: list[str | None], answers: list[str | None], side: str, max_chars: int | None) -> str:
    """Every turn as MT-bench's '### User:' / '### Assistant X:' blocks."""
    blocks = []
    for question, answer in zip(prompt, answers, strict=False):
        user, reply = clip(question, max_chars)[0], clip(answer, max_chars)[0]
        blocks.append(f"### User:\n{user}\n\n### Assistant {side}:\n{reply}")
    return "\n\n".join(blocks)


def render(
    template: Template,
    prompt: list[str | None],
    first: list[str | None],
    second: list[str | None],
    max_chars: int | None = None,
) -> tuple[Messages, bool]:
    """Chat messages asking the judge to compare `first` (shown as A) with `second` (shown as B); and whether
    any text was cut to `max_chars` characters."""
    cut = any(clip(t, max_chars)[1] for t in (*prompt, *first, *second))
    if len(prompt) <= 1:
        user = template.user.format(
            question=clip(prompt[0] if prompt else "", max_chars)[0],
            answer_a=clip(first[0] if first else "", max_chars)[0],
            answer_b=clip(second[0] if second else "", max_chars)[0],
        )
        return [{"role": "system", "content": template.system}, {"role": "user", "content": user}], cut
    user = template.user_multi.format(
        conversation_a=conversation(prompt, first, "A", max_chars),
        conversation_b=conversation(prompt, second, "B", max_chars),
    )
    return [{"role": "system", "content": template.system_multi}, {"role": "user", "content": user}], cut

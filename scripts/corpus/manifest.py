"""Writes tests/fixtures/world/MANIFEST.md: the hand-written notes (MANIFEST.head.md and
before.md beside this file) plus the generated composition table and the source list."""

from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ["reminder", "overdue", "final", "statement"]
CATS = ["receipt", "new_invoice", "credit_note", "quote", "order", "shipping", "newsletter",
        "auto_reply", "bounce", "own_outbound", "internal", "other"]


def write(out: Path, labels: list[dict], sources: dict[str, int]) -> None:
    lines = [(HERE / "MANIFEST.head.md").read_text(encoding="utf-8").rstrip(), ""]
    lines += ["## Composition", ""]
    head = ["lang", "total", "train", "dev", "chasers"] + STAGES + ["others"] + CATS + ["bank_change"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    by_lang = defaultdict(list)
    for r in labels:
        by_lang[r["language"]].append(r)
    rows = sorted(by_lang.items()) + [("all", labels)]
    for lang, rs in rows:
        split = Counter(r["split"] for r in rs)
        stage = Counter(r["stage"] for r in rs if r["kind"] == "chaser")
        cat = Counter(r["category"] for r in rs if r["kind"] != "chaser")
        cells = [lang, len(rs), split["train"], split["dev"],
                 sum(1 for r in rs if r["kind"] == "chaser")]
        cells += [stage[s] for s in STAGES]
        cells += [sum(cat.values())] + [cat[x] for x in CATS]
        cells += [sum(1 for r in rs if r["bank_change"])]
        lines.append("| " + " | ".join(str(x) for x in cells) + " |")
    neg = sum(1 for r in labels if r["kind"] != "chaser")
    lines += ["", f"Hard negatives: {neg} of {len(labels)} ({100 * neg / len(labels):.0f} %).",
              f"Dev split: {sum(1 for r in labels if r['split'] == 'dev')} messages.", ""]
    before = HERE / "before.md"
    if before.exists():
        lines += [before.read_text(encoding="utf-8").rstrip(), ""]
    lines += ["## Sources", "",
              f"{len(sources)} distinct sources; the number is how many messages use a phrase "
              "from it (labels.jsonl names each message's sources).", ""]
    for cite, n in sorted(sources.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"- {cite} ({n})")
    (out / "MANIFEST.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

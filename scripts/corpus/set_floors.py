#!/usr/bin/env python3
"""Writes tests/fixtures/world/floors.toml from the table tests/world_corpus.rs prints.

    cargo test --test world_corpus -- --nocapture > /tmp/wc.log
    python3 scripts/corpus/set_floors.py /tmp/wc.log [--before NOTE]

Every floor is the measured figure rounded down to two decimals minus 0.02 (never below 0);
`bank_false` is a ceiling: the measured rate rounded up plus 0.02. Per language only F1 and
recall are floored (the extraction figures rest on few messages per language). With
--before, the table is also written to scripts/corpus/before.md (the "before" figures in
MANIFEST.md). It only reads the log; it never runs the classifier.
"""

import math
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLS = ["precision", "recall", "f1", "stage", "invoices", "amount", "due", "bank_recall", "bank_false"]


def parse(text):
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+(?: dev)?)\s+(\d+)\s+(\d+)\s+(\d+)((?:\s+\d\.\d{3}){9})", line)
        if m:
            name = "overall" if m.group(1) == "ALL dev" else m.group(1)
            rows[name] = dict(zip(COLS, map(float, m.group(5).split())))
    return rows


def floor(v):
    return max(0.0, math.floor(v * 100) / 100 - 0.02)


def ceiling(v):
    return min(1.0, math.ceil(v * 100) / 100 + 0.02)


def main():
    log = Path(sys.argv[1]).read_text(encoding="utf-8")
    rows = parse(log)
    if "overall" not in rows:
        sys.exit("no figures found in the log: run the test with --nocapture")
    out = ["# Floors for tests/world_corpus.rs, written by scripts/corpus/set_floors.py from a run",
           "# of the test: each figure rounded down to two decimals minus 0.02; bank_false is a",
           "# ceiling (false-alarm rate). Raise them as recognition improves; never lower them to",
           "# make a change pass.", "", "[overall]"]
    for k in COLS:
        v = rows["overall"][k]
        out.append(f"{k} = {ceiling(v) if k == 'bank_false' else floor(v):.2f}")
    for lang in sorted(k for k in rows if k not in ("overall", "train")):
        out += ["", f"[lang.{lang}]", f"f1 = {floor(rows[lang]['f1']):.2f}",
                f"recall = {floor(rows[lang]['recall']):.2f}"]
    (HERE.parent.parent / "tests/fixtures/world/floors.toml").write_text("\n".join(out) + "\n")
    if "--before" in sys.argv:
        note = sys.argv[sys.argv.index("--before") + 1] if len(sys.argv) > sys.argv.index("--before") + 1 else ""
        table = log[log.index("world corpus, dev split"):log.index("kind misses")].rstrip()
        (HERE / "before.md").write_text(
            "## Before figures\n\nWhat the classifier of " + note + " scored when the corpus was "
            "built (`cargo test --test world_corpus -- --nocapture`):\n\n```\n" + table + "\n```\n")
    print(f"floors for {len(rows) - 2} languages written")


if __name__ == "__main__":
    main()

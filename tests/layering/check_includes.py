#!/usr/bin/env python3
"""Fails when a project #include goes against the direction of the layers.

Each part of the tree may include only itself and the parts listed for it
below; together they form a graph without cycles (checked too), the same one
the CMake libraries link along (docs/architecture.md, "Layout").

    check_includes.py ROOT          check the tree at ROOT
    check_includes.py --self-test   show that a wrong-way include is caught
"""
import re
import sys
import tempfile
from pathlib import Path

# part -> the parts it may include. A file belongs to the longest part that
# prefixes its path; so does an included header.
ALLOWED = {
    "common": [],
    "certs": [],
    "kube": ["common", "certs"],
    "policy": ["common", "kube"],
    "webhook/decision": ["common", "policy"],
    "webhook/review": ["common", "policy", "webhook/decision"],
    "webhook/server": ["common", "certs", "kube", "policy", "webhook/decision", "webhook/review"],
    "webhook": ["common", "certs", "kube", "policy", "webhook/decision", "webhook/review", "webhook/server"],
    "coordinator/traffic": ["common", "kube", "policy"],
    "coordinator/analysis": ["common", "kube", "policy"],
    "coordinator": ["common", "kube", "policy", "coordinator/traffic", "coordinator/analysis"],
    "shim": ["common"],
    "cli": ["common", "kube", "policy"],
}
SOURCES = (".h", ".cc")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def part_of(path):
    """The part a path ("coordinator/traffic/smi_router.h") belongs to, or None."""
    best = None
    for part in ALLOWED:
        if (path == part or path.startswith(part + "/")) and (best is None or len(part) > len(best)):
            best = part
    return best


def cycles():
    """Parts that can reach themselves through ALLOWED."""
    def reaches(start, goal, seen):
        for nxt in ALLOWED[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False
    return [part for part in ALLOWED if reaches(part, part, set())]


def violations(root):
    found = []
    for part in ALLOWED:
        for source in sorted((root / part).glob("*")):
            if source.suffix not in SOURCES:
                continue
            here = source.relative_to(root).as_posix()
            if part_of(here) != part:
                continue  # a deeper part checks it
            for number, line in enumerate(source.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target = match.group(1)
                if target.startswith(("tests/", "bench/")):
                    found.append(f"{here}:{number}: includes test or bench code {target}")
                    continue
                there = part_of(target)
                if there is None or there == part or there in ALLOWED[part]:
                    continue
                found.append(f"{here}:{number}: {part} may not include {there} ({target}); "
                             f"{part} may include: {', '.join(ALLOWED[part]) or 'nothing of ours'}")
    return found


def check(root):
    problems = [f"the allowed graph has a cycle through {part}" for part in cycles()]
    problems += violations(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    files = sum(1 for part in ALLOWED for f in (root / part).glob("*") if f.suffix in SOURCES)
    print(f"check_includes: {files} files in {len(ALLOWED)} parts, {len(problems)} problems")
    return 1 if problems else 0


def self_test():
    """A tree with one right-way and one wrong-way include must fail on the second only."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for path, text in {
            "common/log.h": "#pragma once\n",
            "kube/kube_client.h": '#include "common/log.h"\n',
            "common/json_fields.h": '#include "kube/kube_client.h"\n',
        }.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        found = violations(root)
        expected = "common/json_fields.h:1: common may not include kube"
        if len(found) != 1 or not found[0].startswith(expected):
            print(f"self-test: expected one problem starting {expected!r}, got {found}", file=sys.stderr)
            return 1
    print("check_includes self-test: a wrong-way include is reported")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(check(Path(sys.argv[1])))

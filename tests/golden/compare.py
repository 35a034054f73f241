"""Compares golden records (tests/golden/extract.py) with the committed ones.

    compare.py NEW_DIR GOLDEN_DIR            exit 1 if any record is out of tolerance
    compare.py NEW_DIR GOLDEN_DIR --update   write NEW_DIR's records as the goldens

Either way it prints, per record, what moved: the paths out of tolerance with the golden and
the new value, and how many values moved within tolerance. Tolerances are the golden's own
(see extract.py); with --update the new record's replace them, and a change says so.
"""
import fnmatch
import json
import os
import re
import sys


def leaves(value, path=""):
    """(path, pattern path, value) for every leaf; list indices are dropped from the pattern."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, re.sub(r"\[\d+\]", "", path), value


def tolerance_for(pattern_path, tolerances):
    for glob, tol in tolerances.items():
        if fnmatch.fnmatchcase(pattern_path, glob):
            return glob, tol
    return None, {}


def close(got, want, tol):
    if isinstance(want, bool) or isinstance(got, bool) or not isinstance(want, (int, float)) or \
            not isinstance(got, (int, float)):
        return got == want
    return abs(got - want) <= tol.get("abs", 0) + tol.get("rel", 0) * abs(want)


def compare(new, golden):
    """Returns (problems, moved within tolerance)."""
    problems, moved = [], 0
    tolerances = golden["tolerance"]
    got = {p: (pp, v) for p, pp, v in leaves(new["values"])}
    want = {p: (pp, v) for p, pp, v in leaves(golden["values"])}
    for p in sorted(set(got) ^ set(want)):
        problems.append(f"{p}: {'only in the new output' if p in got else 'missing from the new output'}")
    groups = {}  # tolerance glob, or the path without indices -> its elements and failures
    for p in sorted(set(got) & set(want), key=list(want).index):
        pp, w = want[p]
        g = got[p][1]
        glob, tol = tolerance_for(pp, tolerances)
        group = groups.setdefault(glob or pp, {"n": 0, "bad": [], "share": tol.get("share", 0)})
        group["n"] += 1
        if not close(g, w, tol):
            group["bad"].append(f"{p}: golden {json.dumps(w)}, now {json.dumps(g)}")
        elif g != w:
            moved += 1
    for name, group in groups.items():
        if len(group["bad"]) > group["share"] * group["n"]:
            allowed = f" (allowed: {group['share']:.0%} of {group['n']})" if group["share"] else ""
            problems.append(f"{name}: {len(group['bad'])} of {group['n']} out of tolerance{allowed}")
            problems += ["  " + b for b in group["bad"][:8]]
            if len(group["bad"]) > 8:
                problems.append(f"  ... and {len(group['bad']) - 8} more")
        else:
            moved += len(group["bad"])
    return problems, moved


def main():
    new_dir, golden_dir = sys.argv[1:3]
    update = "--update" in sys.argv[3:]
    names = sorted(f[:-5] for f in os.listdir(new_dir) if f.endswith(".json"))
    failed = 0
    for name in names:
        new = json.load(open(os.path.join(new_dir, name + ".json")))
        path = os.path.join(golden_dir, name + ".json")
        if not os.path.exists(path):
            print(f"{name}: no golden yet" + (", written" if update else ""))
            failed += not update
        else:
            golden = json.load(open(path))
            problems, moved = compare(new, golden)
            state = "changed" if problems else "ok"
            note = f", {moved} value(s) moved within tolerance" if moved else ""
            print(f"{name}: {state}{note}")
            for p in problems:
                print("  " + p)
            if update and golden["tolerance"] != new["tolerance"]:
                print(f"  tolerance: {json.dumps(golden['tolerance'])} -> {json.dumps(new['tolerance'])}")
            failed += bool(problems) and not update
        if update:
            with open(path + ".tmp", "w") as f:
                json.dump(new, f, indent=1)
                f.write("\n")
            os.replace(path + ".tmp", path)
    stale = sorted(f for f in os.listdir(golden_dir) if f.endswith(".json") and f[:-5] not in names)
    for f in stale:
        print(f"{f[:-5]}: golden without a record (no longer produced)")
    failed += len(stale) if not update else 0
    print(f"goldens: {len(names) - failed} of {len(names)} as committed" if not update else
          f"goldens: {len(names)} written to {golden_dir}; review with git diff, then commit")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

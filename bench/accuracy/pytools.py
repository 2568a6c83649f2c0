"""Runs inside the tools venv (bench/.cache/accuracy/toolenv): python-minifier + black, and copydetect.

    toolenv/bin/python pytools.py minify|minify-nodocs in.json out.json
    toolenv/bin/python pytools.py copydetect in.json out.json
"""

import io
import json
import sys


def minify(codes, docstrings=True):
    import black
    import python_minifier

    off = dict(remove_annotations=False, remove_pass=False, remove_literal_statements=False,
               combine_imports=False, hoist_literals=False, rename_globals=False, remove_object_base=False,
               convert_posargs_to_args=False, preserve_shebang=True, remove_asserts=False, remove_debug=False,
               remove_explicit_return_none=False, remove_builtin_exception_brackets=False,
               constant_folding=False, remove_dead_branches=False)
    out = []
    for code in codes:
        try:
            small = python_minifier.minify(code, rename_locals=True, **{**off, "remove_literal_statements": not docstrings})
            out.append(black.format_str(small, mode=black.Mode()))
        except Exception:
            out.append(None)
    return out


def copydetect(job):
    """Default copydetect (noise_t = guarantee_t = 25, so winnowing window 1) over (query, ref) groups.

    Returns [query, ref, sim_query, sim_ref] for every pair sharing a fingerprint.
    """
    from copydetect import CodeFingerprint, compare_files, defaults

    k = defaults.NOISE_THRESHOLD
    win = defaults.GUARANTEE_THRESHOLD - defaults.NOISE_THRESHOLD + 1
    rows = []
    for group in job["groups"]:
        def fp(f):
            return CodeFingerprint(f["name"], k, win, fp=io.StringIO(f["text"]), language=job.get("language"))
        refs = [fp(f) for f in group["refs"]]
        where = {}
        for j, r in enumerate(refs):
            for h in r.hashes:
                where.setdefault(h, set()).add(j)
        for f in group.get("queries") or group["refs"]:
            q = fp(f)
            cands = set()
            for h in q.hashes:
                cands |= where.get(h, set())
            for j in sorted(cands):
                if group["refs"][j]["name"] == f["name"]:
                    continue
                _, (s1, s2), _ = compare_files(q, refs[j])
                rows.append([f["name"], group["refs"][j]["name"], float(s1), float(s2)])
    return rows


if __name__ == "__main__":
    cmd, src, dst = sys.argv[1:4]
    data = json.load(open(src))
    result = minify(data, cmd == "minify") if cmd.startswith("minify") else copydetect(data)
    json.dump(result, open(dst, "w"))

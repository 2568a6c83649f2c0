"""One evaluation per data set: copyguard (end to end, and on token pairs) and the peers on the same items.

Every function returns ``Row``s for the table and ``Target``s to grade.
Peer columns use each tool's own score; where a tool has no decision
threshold of its own, recall is read at the threshold that keeps its false
positives on the same negatives at or under 1% ("cal."), which favours it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import cg
import data
import numpy as np
import peers
import synth
from data import Doc
from metrics import auc, mean, recall_at_zero_fp

TOOLS = ("copyguard", "datasketch", "copydetect", "Dolos")


@dataclass
class Row:
    set: str
    slice: str
    metric: str
    cells: dict[str, str] = field(default_factory=dict)
    n: int = 0


@dataclass
class Target:
    name: str
    value: float
    goal: float
    higher: bool = True
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.value >= self.goal if self.higher else self.value <= self.goal


def f2(x: float) -> str:
    return "—" if x != x else f"{x:.3f}"


def pct(x: float) -> str:
    return "—" if x != x else f"{100 * x:.1f}%"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- synthetic queries from the protected corpus ---------------------------------------------------

SYN_TARGETS = {
    ("python", "renamed"): 0.99, ("javascript", "renamed"): 0.99,
    ("python", "tool-renamed"): 0.90, ("javascript", "tool-renamed"): 0.95,
    **{(lang, k): 0.99 for lang in ("python", "javascript") for k in ("verbatim", "untagged", "truncated")},
    **{("text", k): 0.99 for k in ("verbatim", "upper", "reflow", "zero-width", "homoglyphs")},
    ("text", "edits-5%"): 0.95, ("text", "edits-15%"): 0.80,
}
TOOL_NAMES = {"python": "python-minifier+black", "javascript": "terser+prettier"}


def synthetic_copyguard(protected: list[Doc], qs, params=None, policy=None, name="synthetic") -> dict[str, tuple]:
    """Per query id: (flagged, right source named, sources named)."""
    index = cg.build(protected, name, params)
    g = cg.guard(index, policy)
    out = {}
    for q in qs:
        v = g.check(q.text)
        names = {m.source for m in v.matches}
        out[q.id] = (bool(v.matches), q.source in names, names)
    return out


def synthetic(n: int, with_peers: bool = True, tools: bool = True) -> tuple[list[Row], list[Target], list[Row]]:
    log(f"synthetic queries (n={n} per language and transformation)")
    if not tools:
        log("  the tools venv / node folder are not installed: no tool-renamed slices (run once without --no-peers)")
    protected, qs = synth.make(n, tools=tools)
    t = time.perf_counter()
    res = synthetic_copyguard(protected, qs)
    log(f"  copyguard: {len(qs)} answers checked in {time.perf_counter() - t:.1f} s (index build included)")
    decisions = {"copyguard": {qid: (r[0], r[1]) for qid, r in res.items()}}
    if with_peers:
        decisions.update(_synthetic_peers(protected, qs))
    rows, targets, lengths = [], [], []
    by = defaultdict(list)
    for q in qs:
        by[(q.lang, q.kind)].append(q)
    for lang in ("python", "javascript", "text"):
        negs = by[(lang, "negative")]
        kinds = synth.CODE_KINDS if lang != "text" else synth.PROSE_KINDS
        for kind in kinds:
            group = by[(lang, kind)]
            if not group:
                continue
            label = TOOL_NAMES.get(lang, kind) if kind == "tool-renamed" else kind
            row = Row(f"synthetic {lang}", label, "recall", n=len(group))
            for tool, dec in decisions.items():
                hits = [dec[q.id][1] for q in group if q.id in dec]
                row.cells[tool] = f2(float(np.mean(hits))) if hits else "n/a"
            flagged = [res[q.id] for q in group if res[q.id][0]]
            prec = float(np.mean([r[1] for r in flagged])) if flagged else float("nan")
            row.cells["copyguard"] += f" (p {f2(prec)})"
            rows.append(row)
            goal = SYN_TARGETS.get((lang, kind))
            if goal is not None:
                targets.append(Target(f"{lang} {label} recall", float(np.mean([res[q.id][1] for q in group])), goal))
        row = Row(f"synthetic {lang}", "negatives", "false-positive rate", n=len(negs))
        for tool, dec in decisions.items():
            fl = [dec[q.id][0] for q in negs if q.id in dec]
            row.cells[tool] = pct(float(np.mean(fl))) if fl else "n/a"
        rows.append(row)
        targets.append(Target(f"{lang} false positives", float(np.mean([res[q.id][0] for q in negs])), 0.01, False))
        steps = synth.CODE_LINES if lang != "text" else synth.PROSE_CHARS
        unit = "lines" if lang != "text" else "chars"
        curve = defaultdict(list)
        for s in steps:
            group = by[(lang, f"{unit}-{s}")]
            row = Row(f"shortest copy {lang}", f"first {s} {unit}", "recall", n=len(group))
            for tool, dec in decisions.items():
                hits = [dec[q.id][1] for q in group if q.id in dec]
                row.cells[tool] = f2(float(np.mean(hits))) if hits else "n/a"
                if hits:
                    curve[tool].append((s, float(np.mean(hits))))
            lengths.append(row)
        shortest = {}
        for tool, pts in curve.items():  # shortest length from which every longer one has recall >= 0.9
            ok = [s for i, (s, _) in enumerate(pts) if all(r >= 0.9 for _, r in pts[i:])]
            shortest[tool] = ok[0] if ok else None
        lengths.append(Row(f"shortest copy {lang}", "shortest length from which recall stays >= 0.9", unit,
                           {t: str(v) if v is not None else f"> {steps[-1]}" for t, v in shortest.items()}))
    return rows, targets, lengths


def unfenced(text: str) -> str:
    """The answer without its fence lines: raw markdown fences break the peers' lexers (in JavaScript
    a run of backticks opens a template literal that swallows the whole block)."""
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("```"))


def _synthetic_peers(protected: list[Doc], qs) -> dict[str, dict[str, tuple[bool, bool]]]:
    t = time.perf_counter()
    lsh = peers.DatasketchLSH(protected)
    ds = {}
    for q in qs:
        found = lsh.query(unfenced(q.text))
        ds[q.id] = (bool(found), q.source in found)
    log(f"  datasketch: {time.perf_counter() - t:.1f} s")
    out = {"datasketch": ds, "copydetect": {}, "Dolos": {}}
    for lang in ("python", "javascript", "text"):
        refs = [d for d in protected if d.lang == lang]
        mine = [q for q in qs if q.lang == lang]
        group = [(refs, [Doc(q.id, unfenced(q.text), lang) for q in mine])]
        t = time.perf_counter()
        if lang != "text":  # copydetect's filter drops every token of plain text: it cannot score prose
            q_side, _ = peers.copydetect_scores(group, lang)
            out["copydetect"].update(_decide(mine, q_side))
            log(f"  copydetect {lang}: {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        dolos = peers.dolos_scores(group, lang, "query_cover")
        log(f"  Dolos {lang}: {time.perf_counter() - t:.1f} s")
        out["Dolos"].update(_decide(mine, dolos))
    return out


def _decide(qs, scores: peers.Scores) -> dict[str, tuple[bool, bool]]:
    """Flag above the threshold calibrated to <= 1% false positives on this language's negatives."""
    neg = [peers.best(scores.get(q.id, {}))[1] for q in qs if q.source is None]
    thr = peers.calibrate(neg)
    out = {}
    for q in qs:
        s = scores.get(q.id, {})
        above = {r for r, v in s.items() if v > thr}
        out[q.id] = (bool(above), q.source in above)
    return out


# --- IR-Plag ------------------------------------------------------------------------------------


def _case_metrics(items, score: dict[str, float], level: str | None, drop: set[str]) -> tuple[float, float]:
    """Macro-averaged (over cases) AUC and recall at zero FP of copies at ``level`` (None: all) vs negatives."""
    aucs, recs = [], []
    for case in sorted({it.case for it in items}):
        mine = [it for it in items if it.case == case]
        pos = [score[it.query.id] for it in mine if it.label and (level is None or it.group == level)]
        neg = [score[it.query.id] for it in mine if not it.label and it.group not in drop]
        if pos and neg:
            aucs.append(auc(pos, neg))
            recs.append(recall_at_zero_fp(pos, neg))
    return mean(aucs), mean(recs)


def irplag(params=None, policy=None, with_peers: bool = True) -> tuple[list[Row], list[Target], dict]:
    log("IR-Plag")
    items = data.irplag_pairs()
    originals = list({it.original.id: it.original for it in items}.values())
    index = cg.build(originals, "irplag", params)
    g = cg.guard(index, policy)
    p = index.params
    k = p.shingle_code
    e2e, pair, flagged, lit = {}, {}, {}, {}
    orig_sh = {o.id: cg.shingled(o.text, "java", p) for o in originals}
    orig_lit = {o.id: cg.shingled_literals(o.text, "java", p) for o in originals}
    for it in items:
        a, b = cg.pair_cover(cg.shingled_literals(it.query.text, "java", p), orig_lit[it.original.id], k)
        lit[it.query.id] = (a + b) / 2
        v = g.check(it.query.text, "java")
        e2e[it.query.id] = cg.weighted(v, cg.n_tokens(it.query.text, "java")).get(it.original.id, 0.0)
        flagged[it.query.id] = any(m.source == it.original.id for m in v.matches)
        a, b = cg.pair_cover(cg.shingled(it.query.text, "java", p), orig_sh[it.original.id], k)
        pair[it.query.id] = (a + b) / 2
    scores = {"copyguard": pair, "copyguard e2e": e2e, "copyguard +literals": lit}
    if with_peers:
        cases = sorted({it.case for it in items})
        groups = [([next(o for o in originals if o.id.startswith(c))],
                   [it.query for it in items if it.case == c]) for c in cases]
        q_side, r_side = peers.copydetect_scores(groups, "java")
        dolos = peers.dolos_scores(groups, "java")
        orig_of = {it.query.id: it.original.id for it in items}
        scores["copydetect"] = {q: q_side.get(q, {}).get(orig_of[q], 0.0) for q in orig_of}
        scores["Dolos"] = {q: dolos.get(q, {}).get(orig_of[q], 0.0) for q in orig_of}
        scores["datasketch"] = {it.query.id: peers.datasketch_jaccard(it.query.text, it.original.text) for it in items}
    rows, targets, raw = [], [], {}
    levels = [f"L{i}" for i in range(1, 7)] + [None]
    for drop_label, drop in (("", set()), (" w/o 13,15", {"non-13", "non-15"})):
        for level in levels:
            name = level or "all levels"
            n = sum(1 for it in items if it.label and (level is None or it.group == level))
            row = Row("IR-Plag" + drop_label, name, "AUC / recall@0FP", n=n)
            for tool, sc in scores.items():
                a, r = _case_metrics(items, sc, level, drop)
                row.cells[tool] = f"{f2(a)} / {f2(r)}"
                raw[(drop_label, name, tool)] = (a, r)
            rows.append(row)
    for level in levels:
        name = level or "all levels"
        pos = [flagged[it.query.id] for it in items if it.label and (level is None or it.group == level)]
        rows.append(Row("IR-Plag", name, "copyguard default policy: recall", {"copyguard e2e": f2(float(np.mean(pos)))},
                        n=len(pos)))
    negs = [flagged[it.query.id] for it in items if not it.label]
    rows.append(Row("IR-Plag", "non-plagiarized", "copyguard default policy: FP rate",
                    {"copyguard e2e": pct(float(np.mean(negs)))}, n=len(negs)))
    dolos_ref = {"L1": 0.980, "L2": 0.942, "L3": 0.763, "L4": 0.528, "all levels": 0.660}
    for level in levels:
        name = level or "all levels"
        a = raw[("", name, "copyguard")][0]
        dl = raw.get(("", name, "Dolos"), (dolos_ref.get(name, float("nan")),))[0]
        if dl == dl:
            targets.append(Target(f"IR-Plag {name} AUC beats Dolos ({f2(dl)})", a, dl + 1e-9,
                                  note="pairwise score"))
    targets.append(Target("IR-Plag L1 recall@0FP", raw[("", "L1", "copyguard")][1], 0.90))
    targets.append(Target("IR-Plag L2 recall@0FP", raw[("", "L2", "copyguard")][1], 0.85))
    for level in levels:
        name = level or "all levels"
        dl = raw.get(("", name, "Dolos"), (dolos_ref.get(name, float("nan")),))[0]
        if dl == dl:
            targets.append(Target(f"IR-Plag {name} AUC beats Dolos ({f2(dl)})", raw[("", name, "copyguard +literals")][0],
                                  dl + 1e-9, note="experiment: literal contents kept"))
    for lv, goal in (("L1", 0.90), ("L2", 0.85)):
        targets.append(Target(f"IR-Plag {lv} recall@0FP", raw[("", lv, "copyguard +literals")][1], goal,
                              note="experiment: literal contents kept"))
    return rows, targets, raw


# --- Clough-Stevenson ------------------------------------------------------------------------------


def clough(params=None, policy=None, with_peers: bool = True) -> tuple[list[Row], list[Target]]:
    log("Clough-Stevenson")
    items = data.clough_pairs()
    originals = list({it.original.id: it.original for it in items}.values())
    index = cg.build(originals, "clough", params)
    g = cg.guard(index, policy)
    p = index.params
    orig_sh = {o.id: cg.shingled(o.text, "text", p) for o in originals}
    e2e, pair, flagged = {}, {}, {}
    for it in items:
        v = g.check(it.query.text, "text")
        e2e[it.query.id] = cg.weighted(v, cg.n_tokens(it.query.text, "text")).get(it.original.id, 0.0)
        flagged[it.query.id] = any(m.source == it.original.id for m in v.matches)
        pair[it.query.id] = cg.pair_cover(cg.shingled(it.query.text, "text", p), orig_sh[it.original.id],
                                          p.shingle_prose)[0]
    scores = {"copyguard": pair, "copyguard e2e": e2e}
    if with_peers:
        groups = [([o], [it.query for it in items if it.original.id == o.id]) for o in originals]
        dolos = peers.dolos_scores(groups, "text")  # copydetect cannot score prose (see _synthetic_peers)
        scores["Dolos"] = {it.query.id: dolos.get(it.query.id, {}).get(it.original.id, 0.0) for it in items}
        scores["datasketch"] = {it.query.id: peers.datasketch_jaccard(it.query.text, it.original.text) for it in items}
    rows, targets = [], []
    for drop_label, drop in (("", set()), (" w/o 2 noisy", data.CLOUGH_NOISE)):
        kept = [it for it in items if it.query.id not in drop]
        row = Row("Clough-Stevenson" + drop_label, "cut+light vs non", "AUC",
                  n=sum(it.group in ("cut", "light") for it in kept))
        for tool, sc in scores.items():
            a = auc([sc[it.query.id] for it in kept if it.group in ("cut", "light")],
                    [sc[it.query.id] for it in kept if it.group == "non"])
            row.cells[tool] = f2(a)
            if tool in ("copyguard", "copyguard e2e"):
                targets.append(Target(f"Clough-Stevenson AUC cut+light vs non{drop_label}", a, 0.98,
                                      note="pairwise score" if tool == "copyguard" else "end to end"))
        rows.append(row)
        for cat in ("cut", "light", "heavy"):
            row = Row("Clough-Stevenson" + drop_label, cat, "recall@0FP", n=sum(it.group == cat for it in kept))
            for tool, sc in scores.items():
                r = recall_at_zero_fp([sc[it.query.id] for it in kept if it.group == cat],
                                      [sc[it.query.id] for it in kept if it.group == "non"])
                row.cells[tool] = f2(r)
            rows.append(row)
    for cat in ("cut", "light", "heavy", "non"):
        vals = [flagged[it.query.id] for it in items if it.group == cat]
        rows.append(Row("Clough-Stevenson", cat, "copyguard default policy: " + ("FP rate" if cat == "non" else "recall"),
                        {"copyguard e2e": pct(float(np.mean(vals))) if cat == "non" else f2(float(np.mean(vals)))},
                        n=len(vals)))
    return rows, targets


# --- SOCO ----------------------------------------------------------------------------------------------


def soco(lang: str, params=None, policy=None, with_peers: bool = True) -> list[Row]:
    log(f"SOCO {lang}")
    docs, truth = data.soco(lang)
    index = cg.build(docs, f"soco-{lang}", params)
    g = cg.guard(index, policy)
    p = index.params
    e2e, flagged = defaultdict(float), set()
    for d in docs:
        v = g.check(d.text, lang)
        for s, val in cg.weighted(v, cg.n_tokens(d.text, lang)).items():
            if s != d.id:
                key = frozenset((d.id, s))
                e2e[key] = max(e2e[key], val)
        flagged |= {frozenset((d.id, m.source)) for m in v.matches if m.source != d.id}
    sh = {d.id: cg.shingled(d.text, lang, p) for d in docs}
    sets_ = {i: np.unique(s) for i, s in sh.items()}
    pair = {}
    ids = [d.id for d in docs]
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            key = frozenset((a, b))
            if np.intersect1d(sets_[a], sets_[b], assume_unique=True).shape[0] == 0:
                pair[key] = 0.0
                continue
            x, y = cg.pair_cover(sh[a], sh[b], p.shingle_code)
            pair[key] = max(x, y)
    keys = list(pair)
    scores = {"copyguard": pair, "copyguard e2e": e2e}
    if with_peers:
        q_side, r_side = peers.copydetect_scores([(docs, None)], lang)
        dolos = peers.dolos_scores([(docs, None)], lang)
        cd, dl = defaultdict(float), defaultdict(float)
        for q, rs in q_side.items():
            for r, v in rs.items():
                cd[frozenset((q, r))] = max(cd[frozenset((q, r))], v)
        for q, rs in dolos.items():
            for r, v in rs.items():
                dl[frozenset((q, r))] = max(dl[frozenset((q, r))], v)
        scores["copydetect"], scores["Dolos"] = cd, dl
        mh = {d.id: peers._minhash(d.text) for d in docs}
        scores["datasketch"] = {key: float(mh[min(key)].jaccard(mh[max(key)])) for key in keys}
    row = Row(f"SOCO {lang}", f"{len(truth)} re-use pairs of {len(keys)}", "AUC / recall@0FP", n=len(truth))
    for tool, sc in scores.items():
        pos = [sc.get(k, 0.0) for k in keys if k in truth]
        neg = [sc.get(k, 0.0) for k in keys if k not in truth]
        row.cells[tool] = f"{f2(auc(pos, neg))} / {f2(recall_at_zero_fp(pos, neg))}"
    tp = len(flagged & truth)
    row2 = Row(f"SOCO {lang}", "pairs flagged by the default policy", "precision / recall",
               {"copyguard e2e": f"{f2(tp / max(len(flagged), 1))} / {f2(tp / len(truth))}"}, n=len(flagged))
    return [row, row2]


# --- pip vendored -----------------------------------------------------------------------------------------


def pip_vendored(params=None, policy=None, with_peers: bool = True) -> tuple[list[Row], list[Target]]:
    log("pip vendored")
    protected, queries = data.pip_vendored()
    index = cg.build(protected, "pip", params)
    g = cg.guard(index, policy)
    e2e, hit, flag = {}, {}, {}
    for q, src, _rel in queries:
        v = g.check(q.text, "python")
        w = cg.weighted(v, cg.n_tokens(q.text, "python"))
        e2e[q.id] = w.get(src, 0.0) if src else max(w.values(), default=0.0)
        hit[q.id] = src in {m.source for m in v.matches}
        flag[q.id] = bool(v.matches)
    scores = {"copyguard e2e": e2e}
    if with_peers:
        qdocs = [q for q, _, _ in queries]
        q_side, _ = peers.copydetect_scores([(protected, qdocs)], "python")
        dolos = peers.dolos_scores([(protected, qdocs)], "python", "query_cover")
        mh = {d.id: peers._minhash(d.text) for d in protected}
        ds = {}
        for q, _, _ in queries:
            m = peers._minhash(q.text)
            ds[q.id] = {r: float(m.jaccard(x)) for r, x in mh.items()}
        for tool, sc in (("copydetect", q_side), ("Dolos", dolos), ("datasketch", ds)):
            scores[tool] = {q.id: (sc.get(q.id, {}).get(src, 0.0) if src else peers.best(sc.get(q.id, {}))[1])
                            for q, src, _ in queries}
    rows = []
    negs = [q.id for q, src, _ in queries if not src]
    size = {q.id: cg.n_tokens(q.text, "python") for q, _, _ in queries}
    for rel in ("identical", "modified", "identical, 100+ tokens"):
        pos = [q.id for q, src, r in queries if r == rel.split(",")[0] and (size[q.id] >= 100 or "100" not in rel)]
        row = Row("pip vendored", rel, "AUC / recall@0FP", n=len(pos))
        for tool, sc in scores.items():
            pv, nv = [sc[i] for i in pos], [sc[i] for i in negs]
            row.cells[tool] = f"{f2(auc(pv, nv))} / {f2(recall_at_zero_fp(pv, nv))}"
        rows.append(row)
        rows.append(Row("pip vendored", rel, "copyguard default policy: recall",
                        {"copyguard e2e": f2(float(np.mean([hit[i] for i in pos])))}, n=len(pos)))
    fpr = float(np.mean([flag[i] for i in negs]))
    rows.append(Row("pip vendored", "pip's own code", "copyguard default policy: FP rate",
                    {"copyguard e2e": pct(fpr)}, n=len(negs)))
    return rows, [Target("pip vendored false positives (pip's own files)", fpr, 0.01, False,
                         note="file-level labels; shared idioms possible")]

"""Answers made of scores: one model's score, comparisons and leaderboards."""

from __future__ import annotations

from collections import defaultdict

from bot import format as fmt
from bot.values import Answer, Chart, Table
from knowledge.matching import Ref, normalize
from knowledge.schema import Benchmark
from knowledge.store import KnowledgeBase, ScoreInfo

_GENERIC_SETTING_WORDS = frozenset({"mode", "modes", "setting", "settings", "with", "without", "no", "on", "off"})
_NEGATIONS = frozenset({"no", "without", "non"})


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _better(a: float, b: float, higher_is_better: bool) -> bool:
    return a > b if higher_is_better else a < b


def _best(scores: list[ScoreInfo], higher_is_better: bool) -> ScoreInfo:
    return max(scores, key=lambda s: s.value if higher_is_better else -s.value)


def _with_setting(text: str, setting: str) -> str:
    return f"{text} ({setting})" if setting else text


def _chart_category(bench: Benchmark, shown: dict[str, ScoreInfo | None]) -> tuple[str, dict[str, str | None]]:
    """A benchmark's label, with the setting every bar shares, and each bar's own setting otherwise."""
    settings = {s.setting for s in shown.values() if s}
    if len(settings) == 1:
        return _with_setting(bench.name, settings.pop()), dict.fromkeys(shown)
    return bench.name, {name: (s.setting or None) if s else None for name, s in shown.items()}


def _caption(scores: list[ScoreInfo]) -> str:
    """ "Sources: TNW (2026-04-08, 2026-04-10) · ...": who published the charted figures, and when.

    Each source is named once, with its dates joined (or their range, past three dates).
    """
    dates: dict[str, set[str]] = {}
    for s in scores:
        if s.source:
            when = fmt.day(s.source.published or s.date)
            dates.setdefault(s.source.publisher or s.source.label, set()).update([when] if when else [])
    parts = [f"{name} ({_dates(sorted(days))})" if days else name for name, days in dates.items()]
    return "Sources: " + " · ".join(parts) if parts else ""


def _dates(days: list[str]) -> str:
    return ", ".join(days) if len(days) <= 3 else f"{days[0]} – {days[-1]}"


def _chart(kind: str, title: str, columns: list[tuple[Benchmark, dict[str, ScoreInfo | None]]]) -> Chart:
    """A chart of the scores shown per benchmark: ``columns`` pairs a benchmark with each model's score."""
    names = list(dict.fromkeys(name for _, shown in columns for name in shown))
    series: dict[str, list[float | None]] = {name: [] for name in names}
    notes: dict[str, list[str | None]] = {name: [] for name in names}
    categories, units, better, charted = [], [], [], []
    for bench, shown in columns:
        label, bar_notes = _chart_category(bench, shown)
        categories.append(label)
        units.append(bench.unit or "")
        better.append(bool(bench.higher_is_better))
        for name in names:
            score = shown.get(name)
            series[name].append(score.value if score else None)
            notes[name].append(bar_notes.get(name))
        charted += [s for s in shown.values() if s]
    return Chart(kind, title, categories, units, series, better, _caption(charted),
                 {name: n for name, n in notes.items() if any(n)})


def setting_words(kb: KnowledgeBase, model: Ref, words: list[str]) -> set[str]:
    """The words of a question that name a setting or mode this model has figures or modes in ("fast"),
    with "no" when the question negates it ("without tools") and "with" when it insists on it."""
    known = {w for m in (kb.model(model.id).modes or []) for w in m.lower().split()}
    known |= {w for s in kb.scores([model.id]) for w in normalize(s.setting).split()}
    asked = {w for w in words if w in known and w.isalpha() and w not in _GENERIC_SETTING_WORDS}
    negated, insisted = bool(_NEGATIONS & set(words)), "with" in words
    if asked and negated != insisted:
        asked.add("no" if negated else "with")
    return asked


def _in_setting(score: ScoreInfo, asked: set[str]) -> bool:
    """A score answers a question about a setting when it was measured in it (a negated setting only a
    negated question), or its setting is not stated."""
    wanted = asked - {"no", "with"}
    if not wanted or not score.setting:
        return True
    words = set(normalize(score.setting).split())
    negated = bool(_NEGATIONS & words)
    if ("no" in asked and not negated) or ("with" in asked and negated):
        return False
    return bool(wanted & words)


def score_answer(kb: KnowledgeBase, question: str, model: Ref, benchmarks: list[Ref],
                 asked_setting: set[str] | None = None, cites: fmt.Citations | None = None) -> Answer:
    """A model's scores on one or more benchmarks: every score, with setting, date and source.

    With ``asked_setting`` (words such as "fast"), only scores measured in that setting answer; a
    figure from another setting is never given as the answer, only named as existing.
    """
    index = kb.index()
    m_name = index.name(model)
    every = kb.scores([model.id], [b.id for b in benchmarks])
    scores = [s for s in every if _in_setting(s, asked_setting or set())]
    if every and not scores:
        return _not_in_setting(kb, question, m_name, every, asked_setting or set())
    by_bench: dict[int, list[ScoreInfo]] = defaultdict(list)
    for s in scores:
        by_bench[s.benchmark_id].append(s)
    missing = [index.name(b) for b in benchmarks if b.id not in by_bench]
    if not scores:
        scored = [index.name(Ref("benchmark", b)) for b in kb.benchmark_ids_scored(model.id)]
        has = f" It has scores on {fmt.join_names(sorted(scored))}." if scored else \
            " It has no benchmark scores here yet."
        return Answer(question=question, intent="score", found=False, title=f"{m_name}: no score",
                      text=f"The knowledge base has no {fmt.join_names(missing)} score for {m_name}.{has}",
                      suggestions=sorted(scored)[:3])
    cites = cites or fmt.Citations()
    lines, rows = [], []
    for b in benchmarks:
        bench = kb.benchmark(b.id)
        found = by_bench.get(b.id, [])
        for s in found:
            mark = cites.cite(s.source, s.date)
            rows.append([bench.name, fmt.score(s.value, bench.unit), s.setting or "—", fmt.day(s.date), mark])
        if len(found) == 1:
            s = found[0]
            place, total = kb.rank(b.id, s.value, bench.higher_is_better)
            where = f" ({s.setting})" if s.setting else ""
            marker = f" {cites.cite(s.source, s.date)}".rstrip()
            lines.append(f"{m_name} scored {fmt.score(s.value, bench.unit)} on {bench.name}{where}{marker}. "
                         f"That is {_ordinal(place)} of {fmt.count(total, 'model')} with "
                         f"{fmt.a_an(bench.name + ' score')} here.")
        elif found:
            lines.append(f"{m_name} has {len(found)} scores on {bench.name}, told apart by setting and source.")
    if missing:
        lines.append(f"No {fmt.join_names(missing)} score for {m_name} in the knowledge base.")
    table = Table(["Benchmark", "Score", "Setting", "Date", "Source"], rows, [False, True, False, False, False])
    title = f"{m_name} on {fmt.join_names([index.name(b) for b in benchmarks])}"
    return Answer(question=question, intent="score", found=True, title=title, text=" ".join(lines), table=table,
                  sources=cites.refs)


def _not_in_setting(kb: KnowledgeBase, question: str, m_name: str, scores: list[ScoreInfo],
                    asked: set[str]) -> Answer:
    benches = fmt.join_names(list(dict.fromkeys(kb.benchmark(s.benchmark_id).name for s in scores)))
    settings = list(dict.fromkeys(s.setting for s in scores))
    wanted = " ".join(sorted(asked - {"no", "with"}))
    how = f"without {wanted}" if "no" in asked else f"with {wanted}" if "with" in asked else f"in {wanted} mode"
    text = (f"The knowledge base has no {benches} score for {m_name} {how}. "
            f"Its {benches} {'figure is' if len(scores) == 1 else 'figures are'} for "
            f"{fmt.join_names(settings)} only.")
    asks = [f"{m_name} {benches} in {setting}" for setting in settings[:3]]
    return Answer(question=question, intent="score", found=False, title=f"{m_name}: no score in that setting",
                  text=text, suggestions=asks, followups=asks)


def compare_answer(kb: KnowledgeBase, question: str, models: list[Ref], benchmarks: list[Ref],
                   asked_which: bool = False) -> Answer:
    """Models side by side on the given benchmarks, or on every benchmark at least two of them share."""
    index = kb.index()
    names = [index.name(m) for m in models]
    scores = kb.scores([m.id for m in models], [b.id for b in benchmarks] if benchmarks else None)
    grid: dict[int, dict[int, list[ScoreInfo]]] = defaultdict(lambda: defaultdict(list))
    for s in scores:
        grid[s.benchmark_id][s.model_id].append(s)
    if benchmarks:
        bench_ids = [b.id for b in benchmarks if b.id in grid]
    else:
        bench_ids = sorted((b for b, per in grid.items() if len(per) >= 2),
                           key=lambda b: index.name(Ref("benchmark", b)))
    title = " vs ".join(names)
    if not bench_ids:
        return _nothing_to_compare(kb, question, models, benchmarks, title)
    if len(bench_ids) == 1:
        return _compare_one(kb, question, models, bench_ids[0], grid[bench_ids[0]], title, asked_which)
    return _compare_many(kb, question, models, bench_ids, grid, title, asked_which)


def _nothing_to_compare(kb, question, models, benchmarks, title) -> Answer:
    index = kb.index()
    names = [index.name(m) for m in models]
    if benchmarks:
        text = (f"The knowledge base has no {fmt.join_names([index.name(b) for b in benchmarks])} score for "
                f"{fmt.join_names(names)}, so they cannot be compared there.")
    else:
        text = f"{fmt.join_names(names)} share no benchmark in the knowledge base, so there is nothing to compare."
    scored = sorted({index.name(Ref("benchmark", b)) for m in models for b in kb.benchmark_ids_scored(m.id)})
    return Answer(question=question, intent="compare", found=False, title=title, text=text, suggestions=scored[:3])


def _compare_one(kb, question, models, bench_id, per_model, title, asked_which) -> Answer:
    index = kb.index()
    bench = kb.benchmark(bench_id)
    cites = fmt.Citations()
    ranked = sorted(per_model.items(), key=lambda kv: _best(kv[1], bench.higher_is_better).value,
                    reverse=bench.higher_is_better)
    rows = []
    for model_id, found in ranked:
        for s in sorted(found, key=lambda s: s.value, reverse=bench.higher_is_better):
            rows.append([index.name(Ref("model", model_id)), fmt.score(s.value, bench.unit), s.setting or "—",
                         fmt.day(s.date), cites.cite(s.source, s.date)])
    missing = [index.name(m) for m in models if m.id not in per_model]
    lead_id, lead_scores = ranked[0]
    lead = _best(lead_scores, bench.higher_is_better)
    lines = []
    if len(ranked) >= 2:
        runner = _best(ranked[1][1], bench.higher_is_better)
        if lead.value == runner.value:
            lines.append(f"{index.name(Ref('model', lead_id))} and {index.name(Ref('model', ranked[1][0]))} are tied "
                         f"on {bench.name} at {fmt.score(lead.value, bench.unit)}.")
        else:
            lines.append(f"{index.name(Ref('model', lead_id))} leads on {bench.name} with "
                         f"{fmt.score(lead.value, bench.unit)}, ahead of {index.name(Ref('model', ranked[1][0]))} "
                         f"({fmt.score(runner.value, bench.unit)}) by {fmt.gap(lead.value, runner.value, bench.unit)}.")
        settings = {s.setting for found in per_model.values() for s in found}
        if len(settings) > 1:
            lines.append("The settings differ, so the figures are not strictly like for like.")
    if missing:
        lines.append(f"No {bench.name} score for {fmt.join_names(missing)} in the knowledge base.")
    if not bench.higher_is_better:
        lines.append("Lower is better on this benchmark.")
    found = len(ranked) >= 2 or not asked_which
    table = Table(["Model", bench.name, "Setting", "Date", "Source"], rows, [False, True, False, False, False],
                  bench.unit)
    shown = {index.name(m): _best(per_model[m.id], bench.higher_is_better) if m.id in per_model else None
             for m in models}
    return Answer(question=question, intent="compare", found=found, title=f"{title} on {bench.name}",
                  text=" ".join(lines), table=table, sources=cites.refs,
                  chart=_chart("grouped", f"{title} on {bench.name}", [(bench, shown)]))


def _compare_many(kb, question, models, bench_ids, grid, title, asked_which) -> Answer:
    index = kb.index()
    cites = fmt.Citations()
    wins: dict[int, int] = defaultdict(int)
    rows, columns = [], []
    settings_differ = False
    for bench_id in bench_ids:
        bench = kb.benchmark(bench_id)
        cells, best_here = [], {}
        shown: dict[str, ScoreInfo | None] = {}
        for m in models:
            found = grid[bench_id].get(m.id, [])
            if not found:
                cells.append("—")
                shown[index.name(m)] = None
                continue
            top = _best(found, bench.higher_is_better)
            shown[index.name(m)] = top
            best_here[m.id] = top.value
            extra = f" +{len(found) - 1} more" if len(found) > 1 else ""
            cells.append(_with_setting(fmt.score(top.value, bench.unit), top.setting) + extra
                         + f" {cites.cite(top.source, top.date)}".rstrip())
        settings_differ |= len({s.setting for f in grid[bench_id].values() for s in f}) > 1
        if len(best_here) >= 2:
            winner = max(best_here, key=lambda k: best_here[k] if bench.higher_is_better else -best_here[k])
            if list(best_here.values()).count(best_here[winner]) == 1:
                wins[winner] += 1
        rows.append([bench.name, *cells])
        columns.append((bench, shown))
    lines = [f"{len(bench_ids)} benchmarks with scores for at least two of them."]
    lines += [f"{index.name(m)} leads on {wins[m.id]}." for m in models if wins[m.id]]
    if settings_differ:
        lines.append("Some figures were measured in different settings (shown in brackets).")
    if len(cites.refs) == 1:  # one source for every cell: the list of sources says it once
        rows = [[cell.removesuffix(" [1]") for cell in row] for row in rows]
    table = Table(["Benchmark", *[index.name(m) for m in models]], rows, [False] + [True] * len(models))
    return Answer(question=question, intent="compare", found=True, title=title, text=" ".join(lines), table=table,
                  sources=cites.refs, chart=_chart("grouped", title, columns))


def leaderboard_answer(kb: KnowledgeBase, question: str, benchmark: Ref, count: int | None,
                       worst: bool = False, cites: fmt.Citations | None = None) -> Answer:
    """The best (or worst) models on a benchmark, each with its best score, setting and source.

    ``cites`` lets a caller number these sources together with its own.
    """
    bench = kb.benchmark(benchmark.id)
    index = kb.index()
    limit = min(count or 10, 50)
    best_first = bench.higher_is_better != worst
    top, total = kb.leaderboard(benchmark.id, best_first, limit)
    word = "Bottom" if worst else "Top"
    if not top:
        return Answer(question=question, intent="leaderboard", found=False, title=f"{bench.name} leaderboard",
                      text=f"The knowledge base has no {bench.name} scores yet.")
    cites = cites or fmt.Citations()
    rows = []
    for place, s in enumerate(top, 1):
        rows.append([str(place), index.name(Ref("model", s.model_id)), fmt.score(s.value, bench.unit),
                     s.setting or "—", fmt.day(s.date), cites.cite(s.source, s.date)])
    first = top[0]
    tied = [s for s in top if s.value == first.value]
    leader = fmt.join_names([index.name(Ref("model", s.model_id)) for s in tied])
    value = fmt.score(first.value, bench.unit)
    if worst:
        lines = [f"{leader} {'has' if len(tied) == 1 else 'share'} the weakest {bench.name} score here: {value}."]
    else:
        verb = "leads" if len(tied) == 1 else "share the lead on"
        lines = [f"{leader} {verb} {bench.name} with {value}, of {fmt.count(total, 'model')} with a score here."]
    if not bench.higher_is_better:
        lines.append("Lower is better on this benchmark.")
    table = Table(["#", "Model", bench.name, "Setting", "Date", "Source"], rows,
                  [True, False, True, False, False, False], bench.unit)
    title = f"{word} {len(top)} on {bench.name}"
    shown: dict[str, ScoreInfo | None] = {index.name(Ref("model", s.model_id)): s for s in top}
    return Answer(question=question, intent="leaderboard", found=True, title=title, text=" ".join(lines), table=table,
                  sources=cites.refs, chart=_chart("ranking", title, [(bench, shown)]))

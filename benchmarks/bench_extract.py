"""Time and measure peak memory of the extract stage against a plain pandas.read_csv.

Each case runs in a fresh Python subprocess so its peak RSS is its own:

* ``extract``: ``twcs_classifier.extract.extract(path)`` and then
  ``pyarrow.parquet.write_table`` of the result, as ``stages/extract.py`` does
  (the parquet goes to a temporary directory and is deleted);
* ``pandas``: ``pandas.read_csv(path)`` with default settings (the notebook way).

For each case it prints wall seconds (of the work itself, timed inside the child,
and of the whole child process, interpreter start and imports included), rows per
second, and peak RSS in MB (``ru_maxrss`` of that child from ``os.wait4``, plus a
psutil-polled peak as a cross-check), then the speed ratio and the machine. No
asserts: it prints figures; ``--json`` saves them too.

Usage::

    python benchmarks/bench_extract.py --csv benchmarks/out/twcs_big.csv [--json benchmarks/out/bench.json]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CASES = ("extract", "pandas")
TARGETS_MB = {"issue 2: extract peak < 4 GB": 4000.0, "issue 5: extract peak < 3 GB": 3000.0}
TARGET_SPEEDUP = 5.0  # issue 5: extract at least 5x faster than pandas.read_csv


# --------------------------------------------------------------------------- child side


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def _child_extract(csv: str) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from twcs_classifier import extract as ex

    # Time the phases by wrapping the module's functions (extract() looks them up there).
    phases: dict[str, float] = {}

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    # the names extract() calls (older checkouts: derive_* or _conversations/_company_codes), wrapped when present
    names = ("read_twcs", "conversation_codes", "company_codes", "derive_conversations", "derive_company")
    for name in (*names, "_conversations", "_company_codes"):
        if hasattr(ex, name):
            setattr(ex, name, timed(name, getattr(ex, name)))

    baseline = _rss_mb()
    t0 = time.perf_counter()
    table, report = ex.extract(csv)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_extract_") as tmp:
        out = Path(tmp) / "tweets.parquet"
        pq.write_table(table, out)
        parquet_mb = out.stat().st_size / 1e6
    t2 = time.perf_counter()
    phases["rest_of_extract"] = (t1 - t0) - sum(phases.values())
    return {
        "module": ex.__file__,
        "rows_in": report["rows_parsed"],
        "rows_out": report["rows_written"],
        "seconds": t2 - t0,
        "extract_seconds": t1 - t0,
        "parquet_seconds": t2 - t1,
        "parquet_mb": parquet_mb,
        "phases": phases,
        "baseline_rss_mb": baseline,
        "report": {k: v for k, v in report.items() if k != "unparseable_examples"},
    }


def _child_pandas(csv: str) -> dict[str, Any]:
    import pandas as pd

    baseline = _rss_mb()
    t0 = time.perf_counter()
    df = pd.read_csv(csv)
    t1 = time.perf_counter()
    return {"rows_in": len(df), "rows_out": len(df), "seconds": t1 - t0, "baseline_rss_mb": baseline}


def child_main(case: str, csv: str) -> None:
    result = {"extract": _child_extract, "pandas": _child_pandas}[case](csv)
    result["self_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print("BENCH_RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------- parent side


def run_case(case: str, csv: Path, src: Path = REPO / "src", poll_s: float = 0.05) -> dict[str, Any]:
    """Run one case in a fresh interpreter; return its figures and its peak memory."""
    import psutil

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH", "")]))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", case, "--csv", str(csv)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)

    polled = {"peak": 0}
    stop = threading.Event()

    def poll() -> None:
        try:
            p = psutil.Process(proc.pid)
            while not stop.is_set():
                rss = p.memory_info().rss
                for c in p.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        rss += c.memory_info().rss
                polled["peak"] = max(polled["peak"], rss)
                time.sleep(poll_s)
        except psutil.Error:
            pass

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    assert proc.stdout is not None
    stdout = proc.stdout.read()
    # wait4 gives the rusage of this child alone (RUSAGE_CHILDREN would be a max over all children).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    stop.set()
    poller.join()

    result: dict[str, Any] = {
        "case": case,
        "returncode": proc.returncode,
        "process_seconds": wall,
        "process_cpu_user_s": usage.ru_utime,
        "process_cpu_sys_s": usage.ru_stime,
    }
    line = next((ln for ln in stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if proc.returncode != 0 or line is None:
        result["error"] = f"child exited with {proc.returncode}"
        return result
    result.update(json.loads(line[len("BENCH_RESULT ") :]))
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux
    result["polled_peak_rss_mb"] = polled["peak"] / 1e6
    result["rows_per_second"] = result["rows_in"] / result["seconds"] if result["seconds"] else None
    return result


def machine() -> dict[str, Any]:
    import numpy
    import pandas
    import psutil
    import pyarrow

    model = platform.processor() or "unknown"
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                model = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        import scipy

        scipy_version = scipy.__version__
    except ImportError:
        scipy_version = None
    return {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "pyarrow": pyarrow.__version__,
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy_version,
    }


def _median_run(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median time, carrying the largest peak RSS of all runs."""
    ok = [r for r in rs if "error" not in r]
    if not ok:
        return rs[0]
    ok.sort(key=lambda r: r["seconds"])
    med = dict(ok[(len(ok) - 1) // 2])
    med["peak_rss_mb"] = max(r["peak_rss_mb"] for r in ok)
    med["polled_peak_rss_mb"] = max(r["polled_peak_rss_mb"] for r in ok)
    med["runs"] = len(ok)
    return med


def _fmt_case(r: dict[str, Any]) -> list[str]:
    if "error" in r:
        return [f"  {r['case']:8s} FAILED: {r['error']}"]
    lines = [
        (
            f"  {r['case']:8s} {r['seconds']:8.2f} s  {r['rows_per_second']:>11,.0f} rows/s  "
            f"peak RSS {r['peak_rss_mb']:8,.0f} MB  (polled {r['polled_peak_rss_mb']:,.0f} MB, "
            f"after imports {r['baseline_rss_mb']:,.0f} MB; whole process {r['process_seconds']:.2f} s wall, "
            f"{r['process_cpu_user_s']:.1f} s user + {r['process_cpu_sys_s']:.1f} s sys CPU; "
            f"{r['rows_in']:,} rows)"
        )
    ]
    if r["case"] == "extract":
        ph = r["phases"]
        conversations = sum(ph.get(n, 0) for n in ("conversation_codes", "derive_conversations", "_conversations"))
        companies = sum(ph.get(n, 0) for n in ("company_codes", "derive_company", "_company_codes"))
        lines.append(f"           module {r['module']}")
        lines.append(
            f"           extract() {r['extract_seconds']:.2f} s = read_twcs {ph.get('read_twcs', 0):.2f}"
            f" + conversations {conversations:.2f} + companies {companies:.2f}"
            f" + rest {ph.get('rest_of_extract', 0):.2f}; parquet write {r['parquet_seconds']:.2f} s"
            f" ({r['parquet_mb']:,.0f} MB); {r['rows_out']:,} rows written"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", type=Path, required=True, help="twcs-shaped CSV (see make_big_twcs.py)")
    ap.add_argument("--json", type=Path, help="also save the figures to this JSON file")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each case; the median is reported (default 1)")
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {CASES} (default: all)")
    ap.add_argument(
        "--src",
        type=Path,
        default=REPO / "src",
        help="directory holding the twcs_classifier package to benchmark (default: this repo's src; "
        "point it at a patched copy to compare)",
    )
    ap.add_argument("--_child", choices=CASES, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args._child:
        child_main(args._child, str(args.csv))
        return
    if not args.csv.exists():
        ap.error(f"{args.csv} not found; build one with benchmarks/make_big_twcs.py")
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    for c in cases:
        if c not in CASES:
            ap.error(f"unknown case {c!r}; choose from {CASES}")

    info = machine()
    size_mb = args.csv.stat().st_size / 1e6
    print(f"date      {info['date']}")
    print(
        f"machine   {info['cpu_count']} CPUs ({info['cpus_usable']} usable), {info['cpu_model']}, "
        f"{info['memory_gb']} GiB RAM, {info['platform']}"
    )
    print(
        f"versions  python {info['python']}, pyarrow {info['pyarrow']}, pandas {info['pandas']}, "
        f"numpy {info['numpy']}, scipy {info['scipy']}"
    )
    print(f"input     {args.csv} ({size_mb:,.0f} MB)")

    results: dict[str, dict[str, Any]] = {}
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in cases}
    for i in range(args.repeat):
        for c in cases:  # interleaved, so drifts of a noisy machine hit both cases alike
            print(f"running   {c} ({i + 1}/{args.repeat}) ...", flush=True)
            runs[c].append(run_case(c, args.csv, args.src.resolve()))
    for c in cases:
        results[c] = _median_run(runs[c])
    label = f"median of {args.repeat} runs" if args.repeat > 1 else "1 run"
    print(f"results ({label}; wall seconds of the work, timed in a fresh process each; peak RSS: the largest run):")
    for c in cases:
        for ln in _fmt_case(results[c]):
            print(ln)
        if args.repeat > 1 and "error" not in results[c]:
            print(
                "           all runs: "
                + ", ".join(f"{r['seconds']:.2f} s / {r['peak_rss_mb']:,.0f} MB" for r in runs[c] if "error" not in r)
            )

    summary: dict[str, Any] = {}
    ex, pd_ = results.get("extract"), results.get("pandas")
    if ex and "error" not in ex:
        for name, limit in TARGETS_MB.items():
            summary[name] = ex["peak_rss_mb"] < limit
    if ex and pd_ and "error" not in ex and "error" not in pd_:
        summary["speedup_extract_plus_parquet_vs_pandas"] = pd_["seconds"] / ex["seconds"]
        summary["speedup_extract_only_vs_pandas"] = pd_["seconds"] / ex["extract_seconds"]
        summary["speedup_read_twcs_vs_pandas"] = pd_["seconds"] / ex["phases"]["read_twcs"]
        summary[f"issue 5: extract >= {TARGET_SPEEDUP:g}x faster than pandas"] = (
            summary["speedup_extract_plus_parquet_vs_pandas"] >= TARGET_SPEEDUP
        )
        summary["memory_ratio_extract_vs_pandas"] = ex["peak_rss_mb"] / pd_["peak_rss_mb"]
        print(
            "speed     pandas.read_csv / (extract + parquet) = "
            f"{summary['speedup_extract_plus_parquet_vs_pandas']:.2f}x"
            f"   (extract() alone {summary['speedup_extract_only_vs_pandas']:.2f}x,"
            f" read_twcs alone {summary['speedup_read_twcs_vs_pandas']:.2f}x; >1 means extract is faster)"
        )
        print(f"memory    extract peak / pandas peak = {summary['memory_ratio_extract_vs_pandas']:.2f}")
    for k, v in summary.items():
        if isinstance(v, bool):
            print(f"target    {k}: {'met' if v else 'NOT met'}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": info,
            "csv": str(args.csv),
            "csv_mb": size_mb,
            "src": str(args.src.resolve()),
            "results": results,
            "runs": runs,
            "summary": summary,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"saved     {args.json}")


if __name__ == "__main__":
    main()

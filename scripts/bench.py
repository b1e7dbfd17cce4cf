"""Whole-process timings of smpmatch against the decode floor and peer tools.

Run through scripts/bench.sh, which builds and installs everything first. Prints a Markdown
table: median wall time of RUNS runs, ratio to decode-only, peak RSS.
"""
import os
import resource
import statistics
import subprocess
import sys
import time

RUNS = int(os.environ.get("RUNS", "5"))


def measure(cmd):
    times, peak = [], 0
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed: {p.stderr.decode()[:500]}")
        # ru_maxrss of children is the max over all children so far (KiB on Linux).
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return statistics.median(times), peak


def main():
    photo, catalog = sys.argv[1], sys.argv[2]
    tools = dict(a.split("=", 1) for a in sys.argv[3:])
    rows = [
        ("decode only (image crate, as smpmatch loads)", [tools["decode"], photo]),
        ("smpmatch analyze", [tools["smpmatch"], "analyze", photo, "--json"]),
        ("smpmatch match", [tools["smpmatch"], "match", photo, "--catalog", catalog, "--json"]),
    ]
    if "kmeans_colors" in tools:
        rows.append(("kmeans_colors CLI, k = 6", [tools["kmeans_colors"], "-i", photo, "-k", "6", "--no-file", "--print", "--pct"]))
    if "python" in tools:
        rows.append(("Python: Pillow + colour-science + scikit-learn KMeans, k = 6",
                     [tools["python"], tools["py_pipeline"], photo, "6"]))
    results = []
    for name, cmd in rows:
        runs = 1 if name.startswith("Python") else RUNS
        global RUNS_SAVED
        saved = globals()["RUNS"]
        globals()["RUNS"] = runs
        med, peak = measure(cmd)
        globals()["RUNS"] = saved
        results.append((name, med, peak, runs))
        print(f"measured {name}: {med:.3f} s", file=sys.stderr)
    floor = results[0][1]
    match = results[2][1]
    print(f"| command | median wall (s) | runs | × decode | × match | peak RSS (MB) |")
    print("|---|---|---|---|---|---|")
    for name, med, peak, runs in results:
        print(f"| {name} | {med:.3f} | {runs} | {med / floor:.2f} | {med / match:.2f} | {peak / 1024:.0f} |")


main()

"""Whole-process timings of smpmatch against the decode floor and peer tools.

Run through scripts/bench.sh, which builds and installs everything first. Prints a Markdown
table: median wall time of RUNS runs (decode, analyze and match interleaved round-robin),
ratio to decode-only, each command's own peak RSS (wait4).
"""
import os
import statistics
import subprocess
import sys
import time

RUNS = int(os.environ.get("RUNS", "5"))


def run_once(cmd, env=None):
    """Wall time (s) and the child's own peak RSS (MB, from wait4) of one run of `cmd`."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed: {err.decode()[:500]}")
    return elapsed, usage.ru_maxrss / 1024


def measure_interleaved(cmds, runs):
    """Median wall time and peak RSS per command over `runs` rounds, each round running
    every command once (round-robin, after one warm-up round), so drifts of a shared machine
    hit all alike."""
    for cmd in cmds:
        run_once(cmd)
    times = [[] for _ in cmds]
    peaks = [0.0 for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            t, rss = run_once(cmd)
            times[i].append(t)
            peaks[i] = max(peaks[i], rss)
    return [(statistics.median(t), p) for t, p in zip(times, peaks)]


def batch_table(smpmatch, photo_dir, catalog):
    """Batch throughput on 1 and on every core (RAYON_NUM_THREADS), median of RUNS runs."""
    n = len([f for f in os.listdir(photo_dir) if f.lower().endswith((".jpg", ".jpeg", ".png"))])
    cmd = [smpmatch, "batch", photo_dir, "--catalog", catalog]
    rates = {}
    for threads in (1, os.cpu_count() or 1):
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        times = []
        for _ in range(max(3, RUNS // 3)):
            times.append(run_once(cmd, env)[0])
        rates[threads] = n / statistics.median(times)
    one, alln = rates[1], rates[max(rates)]
    print(f"batch of {n} photos: {one:.1f} photos/s on 1 thread, {alln:.1f} photos/s on "
          f"{max(rates)} threads ({alln / one:.2f} ×)", file=sys.stderr)


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
    fast = rows[:3]
    for (name, cmd), (med, peak) in zip(fast, measure_interleaved([c for _, c in fast], RUNS)):
        results.append((name, med, peak, RUNS))
        print(f"measured {name}: {med:.3f} s", file=sys.stderr)
    for name, cmd in rows[3:]:
        runs = 1 if name.startswith("Python") else RUNS
        (med, peak), = measure_interleaved([cmd], runs) if runs > 1 else [run_once(cmd)]
        results.append((name, med, peak, runs))
        print(f"measured {name}: {med:.3f} s", file=sys.stderr)
    if "batch_dir" in tools:
        batch_table(tools["smpmatch"], tools["batch_dir"], catalog)
    floor = results[0][1]
    match = results[2][1]
    print(f"| command | median wall (s) | runs | × decode | × match | peak RSS (MB) |")
    print("|---|---|---|---|---|---|")
    for name, med, peak, runs in results:
        print(f"| {name} | {med:.3f} | {runs} | {med / floor:.2f} | {med / match:.2f} | {peak:.0f} |")


main()

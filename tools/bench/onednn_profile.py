"""Where inference time goes, kiln vs torch: both link Debian's libdnnl.so.2,
so ONEDNN_VERBOSE=1 (DNNL_VERBOSE for 2.x) times every oneDNN primitive in
either. Runs kiln-run and the optimized TorchScript module on the same model
file pair, in fresh processes, and sums primitive time per run by kind:
convolutions, weight reorders, activation reorders, other primitives. The
rest of each run's wall time is work outside oneDNN (kiln's own kernels, or
torch's aten ops and dispatch).

    /usr/bin/python3 tools/bench/onednn_profile.py MODEL.kiln TORCH.pt --batch B [--threads N]

TORCH.pt is a frozen torch.jit.trace (static_vs_torch.py --keep DIR writes
both); it is optimize_for_inference'd here before timing.
"""
import argparse
import collections
import os
import statistics
import subprocess
import sys

TORCH_RUN = """
import sys, time, torch
torch.set_num_threads(int(sys.argv[2]))
b, runs = int(sys.argv[3]), int(sys.argv[4])
with torch.no_grad():
    m = torch.jit.optimize_for_inference(torch.jit.load(sys.argv[1]))
    x = torch.rand(b, 3, 224, 224)
    for _ in range(3):
        m(x)
    print("BENCH_START", flush=True)
    times = []
    for _ in range(runs):
        t = time.perf_counter(); m(x); times.append(time.perf_counter() - t)
    times.sort()
    print("BENCH_MEDIAN_MS", times[len(times) // 2] * 1e3, flush=True)
"""


def classify(fields):
    """(kind, shape) of one onednn_verbose exec line split by commas."""
    prim, impl = fields[3], fields[4]
    if prim == "reorder":
        dst = [t for t in fields[6].split() if t.startswith("dst_")][0]
        fmt = dst.split(":")[3] if dst.count(":") >= 3 else dst
        src = [t for t in fields[6].split() if t.startswith("src_")][0]
        sfmt = src.split(":")[3] if src.count(":") >= 3 else src
        weightish = any(c.isupper() for c in fmt + sfmt) or fields[-2].count("x") == 4
        return ("reorder weights" if weightish else f"reorder act {sfmt}->{fmt}"), fields[-2]
    if prim == "convolution":
        return f"conv {impl}", fields[-2]
    return f"{prim} {impl}", fields[-2]


def profile(cmd, env, runs, start_marker=None):
    env = dict(env, ONEDNN_VERBOSE="1", DNNL_VERBOSE="1")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    if start_marker is not None:
        lines = lines[next(i for i, l in enumerate(lines) if l.startswith(start_marker)):]
    samples = collections.defaultdict(list)  # (kind, shape) -> times
    median_ms = None
    for line in lines:
        if line.startswith(("onednn_verbose,exec", "dnnl_verbose,exec")):
            fields = line.split(",")
            samples[classify(fields)].append(float(fields[-1]))
        elif line.startswith("BENCH_MEDIAN_MS"):
            median_ms = float(line.split()[1])
        elif line.startswith("latency over"):
            median_ms = float(line.split("median ")[1].split(" ms")[0])
    # Per (kind, shape): the median time of one execution times executions
    # per run, so a descheduled outlier on a loaded machine does not count.
    totals, counts, detail = collections.Counter(), collections.Counter(), {}
    for (kind, shape), times in samples.items():
        per_run = len(times) / runs
        ms = statistics.median(times) * per_run
        totals[kind] += ms
        counts[kind] += per_run
        detail[(kind, shape)] = (ms, per_run)
    return {k: (totals[k], counts[k]) for k in totals}, median_ms, detail


def report(name, per_kind, median_ms):
    print(f"{name}: median wall {median_ms:.2f} ms per run (with verbose on)")
    dnnl = 0.0
    for kind, (ms, n) in sorted(per_kind.items(), key=lambda kv: -kv[1][0]):
        dnnl += ms
        print(f"  {kind:60s}{n:6.0f} x {ms:9.2f} ms")
    print(f"  {'all oneDNN primitives':60s}{'':9s}{dnnl:9.2f} ms")
    print(f"  {'outside oneDNN (wall - primitives)':60s}{'':9s}{median_ms - dnnl:9.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kiln_model")
    parser.add_argument("torch_model")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--detail", action="store_true", help="per-shape convolution times")
    parser.add_argument("--kiln-run", default="/usr/local/bin/kiln-run")
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    warm = 3
    kiln_cmd = [args.kiln_run, args.kiln_model, "--input", f"x=rand:{args.batch}x3x224x224",
                "--iter", str(args.runs), "--warmup", str(warm), "--threads", str(args.threads)]
    # kiln-run has no marker between warm-up and timed runs: average over all.
    per_kind, median_ms, kiln_detail = profile(kiln_cmd, env, args.runs + warm)
    report(f"kiln-run, batch {args.batch}, {args.threads} thread(s)", per_kind, median_ms)
    torch_cmd = ["/usr/bin/python3", "-c", TORCH_RUN, args.torch_model, str(args.threads),
                 str(args.batch), str(args.runs)]
    per_kind, median_ms, torch_detail = profile(torch_cmd, env, args.runs,
                                                start_marker="BENCH_START")
    report(f"torch optimize_for_inference, batch {args.batch}, {args.threads} thread(s)",
           per_kind, median_ms)
    if args.detail:
        print("convolutions by shape (ms per run: kiln conv + its weight reorder | torch conv)")
        torch_conv = collections.Counter()
        for (kind, shape), (ms, _) in torch_detail.items():
            if kind.startswith("conv"):
                torch_conv[shape] += ms
        rows = collections.defaultdict(lambda: [0.0, 0.0, 0, ""])
        for (kind, shape), (ms, n) in kiln_detail.items():
            if kind.startswith("conv"):
                rows[shape][0] += ms
                rows[shape][2] += n
                rows[shape][3] = kind
        for (kind, shape), (ms, n) in kiln_detail.items():
            if kind == "reorder weights":
                for conv_shape in rows:  # match 'OxIxKHxKW' to 'ic..oc..kh..'
                    o, i, kh = shape.split("x")[-4:-1]
                    if f"ic{i}oc{o}_" in conv_shape and f"kh{kh}" in conv_shape:
                        rows[conv_shape][1] += ms / max(1, sum(
                            1 for c in rows if f"ic{i}oc{o}_" in c and f"kh{kh}" in c))
        for shape, (ms, wms, n, kind) in sorted(rows.items(), key=lambda kv: -kv[1][0]):
            print(f"  {shape:60s} x{n:3.0f} {kind:26s} {ms:7.2f} + {wms:5.2f} | "
                  f"{torch_conv.get(shape, float('nan')):7.2f}")


if __name__ == "__main__":
    sys.exit(main())

"""kiln's static paths (traced training, the runtime, kiln-run) beside PyTorch
given its best set-up, in one run, same thread count (issue 3, "Benchmarks").

PyTorch gets what a user would give it: Debian's OpenBLAS, glibc malloc
thresholds that stop it from handing memory back to the OS (set here before
torch is imported, and passed on to every subprocess), torch.jit.trace for
training and optimize_for_inference(freeze(trace(...))) under no_grad for
inference. Prints medians and kiln/torch ratios (below 1.0: kiln is faster).

1. training steps (SGD momentum, cross-entropy), batch 64: MLP 784-256-256-10
   and LeNet. kiln traced (trace(symbolic=True) of the whole step) and eager;
   torch eager and torch.jit.trace of the forward (backward and step eager).
   The ratio is kiln traced over torch's best.
2. inference, ResNet-18 3x224x224 batch 1 and 8, MobileNetV2 batch 1: kiln's
   runtime (kiln.runtime.Model on the dumped file; kiln-run's median latency
   beside it) vs the optimized TorchScript module.
3. whole-process time to the first ResNet-18 inference: `kiln-run` vs
   `/usr/bin/python3 -c "import torch; torch.jit.load(...)..."`.
4. peak memory of ResNet-18 inference at batch 8: kiln's arena + weights vs
   torch's RSS growth in a fresh process (VmHWM after the first inference
   minus VmHWM after `import torch`); kiln's own RSS growth, measured the same
   way, beside it.

    /usr/bin/python3 tools/bench/static_vs_torch.py [--threads N] [--repeat R] [--quick]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "67108864")
os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", "268435456")
if os.environ.get("KILN_BENCH_CHILD") is None:
    # glibc reads the malloc thresholds at start-up: re-exec with them set.
    os.environ["KILN_BENCH_CHILD"] = "1"
    os.execv(sys.executable, [sys.executable] + sys.argv)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
# The checkout's kiln, after any given on PYTHONPATH (to bench a snapshot
# while the tree is being rebuilt: PYTHONPATH=SNAPSHOT --kiln-run SNAPSHOT/kiln-run).
sys.path.append(os.path.join(REPO, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import kiln  # noqa: E402
import kiln.functional as F  # noqa: E402
import kiln.optimizer as optim  # noqa: E402
import kiln.runtime  # noqa: E402
from kiln.autodiff import GradManager  # noqa: E402
from kiln.jit.trace import trace  # noqa: E402

import models  # noqa: E402
from eager_vs_torch import LeNetKiln, LeNetTorch, loaded_blas, mlp_kiln, mlp_torch  # noqa: E402

PYTHON = "/usr/bin/python3"
KILN_RUN = "/usr/local/bin/kiln-run"


def median_times(fns, repeat, inner, warmup=None):
    """Median seconds per call of each function in the dict fns. Rounds are
    interleaved (every function once per round), so a burst of load from
    other processes on this shared machine hits all of them alike."""
    for fn in fns.values():
        for _ in range(max(2, inner // 4) if warmup is None else warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - start) / inner)
    return {name: statistics.median(t) for name, t in times.items()}


def fmt_time(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f}us"
    if seconds < 1.0:
        return f"{seconds * 1e3:8.2f}ms"
    return f"{seconds:8.3f}s "


def fmt_bytes(n):
    return f"{n / 2**20:8.1f}MiB"


def child_env(threads):
    env = dict(os.environ)
    env.pop("KILN_BENCH_CHILD", None)
    env["OMP_NUM_THREADS"] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [env.get("PYTHONPATH", ""),
                                                     os.path.join(REPO, "python")] if p)
    return env


# ------------------------------------------------------------------ training


def training_case(name, kiln_model, torch_model, x_shape, repeat, inner):
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape).astype(np.float32)
    y = rng.integers(0, 10, x_shape[0]).astype(np.int32)
    kx, ky = kiln.tensor(x), kiln.tensor(y)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    models.copy_kiln_to_torch(kiln_model, torch_model)

    gm = GradManager().attach(kiln_model.parameters())
    kopt = optim.SGD(kiln_model.parameters(), lr=0.01, momentum=0.9)

    def kiln_step(x, y):
        with gm:
            loss = F.cross_entropy(kiln_model(x), y)
            gm.backward(loss)
        kopt.step()
        kopt.clear_grad()
        return loss

    traced = trace(kiln_step, symbolic=True)

    topt = torch.optim.SGD(torch_model.parameters(), lr=0.01, momentum=0.9)
    torch_traced = torch.jit.trace(torch_model, tx)

    def torch_step(model):
        loss = torch.nn.functional.cross_entropy(model(tx), ty)
        topt.zero_grad(set_to_none=True)
        loss.backward()
        topt.step()
        return loss

    # The first steps: the same data and weights, so the losses must agree.
    k0, t0 = float(kiln_step(kx, ky).numpy()), float(torch_step(torch_model))
    if abs(k0 - t0) > 1e-3 * max(1.0, abs(t0)):
        raise SystemExit(f"{name}: first-step losses differ: kiln {k0} vs torch {t0}")
    traced(kx, ky)  # records and compiles

    times = median_times({
        "kiln traced": lambda: traced(kx, ky),
        "kiln eager": lambda: kiln_step(kx, ky),
        "torch eager": lambda: torch_step(torch_model),
        "torch jit.trace": lambda: torch_step(torch_traced),
    }, repeat, inner)
    loss = float(traced(kx, ky).numpy())
    if not np.isfinite(loss):
        raise SystemExit(f"{name}: the traced kiln step diverged (loss {loss})")
    return times


# ----------------------------------------------------------------- inference


def dump_kiln(model, batch, path):
    model.eval()
    infer = trace(lambda x: model(x), symbolic=True, capture_as_const=True)
    infer(kiln.tensor(np.zeros((batch, 3, 224, 224), np.float32)))
    infer.dump(path, arg_names=["x"], output_names=["y"])


def optimized_torch(model, x):
    model.eval()
    with torch.no_grad():
        frozen = torch.jit.freeze(torch.jit.trace(model, x))
        # optimize_for_inference rewrites the frozen module in place
        return torch.jit.optimize_for_inference(frozen)


def kiln_run_latency(path, batch, threads, iters, warmup):
    out = subprocess.run([KILN_RUN, path, "--input", f"x=rand:{batch}x3x224x224", "--iter",
                          str(iters), "--warmup", str(warmup), "--threads", str(threads)],
                         capture_output=True, text=True, env=child_env(threads), check=True).stdout
    latency = next(line for line in out.splitlines() if line.startswith("latency"))
    median_ms = float(latency.split("median ")[1].split(" ms")[0])
    arena = int(next(line for line in out.splitlines() if line.startswith("peak arena")).split()[3])
    return median_ms / 1e3, arena


def inference_case(kiln_model, torch_model, batch, path, threads, repeat):
    models.copy_kiln_to_torch(kiln_model, torch_model)
    dump_kiln(kiln_model, batch, path)
    x = np.random.default_rng(1).random((batch, 3, 224, 224), dtype=np.float32)
    tx = torch.from_numpy(x)
    runtime = kiln.runtime.Model(path)
    optimized = optimized_torch(torch_model, tx)
    with torch.no_grad():
        err = np.abs(runtime(x) - optimized(tx).numpy()).max()
        ref = np.abs(optimized(tx).numpy()).max()
        if not err <= 1e-3 * max(1.0, ref):
            raise SystemExit(f"inference outputs differ: max |kiln - torch| = {err} (max |y| {ref})")
        warm = 3
        t = median_times({"kiln": lambda: runtime(x), "torch": lambda: optimized(tx)},
                         repeat, 1, warmup=warm)
    kt, tt = t["kiln"], t["torch"]
    run_t, _ = kiln_run_latency(path, batch, threads, repeat, warm)
    return kt, run_t, tt, runtime.peak_arena_bytes


# ------------------------------------------------------------------- startup


def wall(cmd, env):
    """Whole-process seconds, and stdout."""
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return time.perf_counter() - start, out


def startup_case(kiln_path, torch_path, threads, runs):
    """Medians of whole-process wall time, and of kiln-run's own report of
    its one inference (the rest is exec, loading and validating the file)."""
    env = child_env(threads)
    kiln_cmd = [KILN_RUN, kiln_path, "--input", "x=rand:1x3x224x224", "--iter", "1",
                "--threads", str(threads)]
    torch_cmd = [PYTHON, "-c", f"import torch; torch.set_num_threads({threads}); "
                 f"m = torch.jit.load({torch_path!r}); m(torch.rand(1, 3, 224, 224))"]
    wall(kiln_cmd, env), wall(torch_cmd, env)  # page cache
    kiln_times, kiln_first, torch_times = [], [], []
    for _ in range(runs):  # interleaved, so load drifts hit both alike
        seconds, out = wall(kiln_cmd, env)
        kiln_times.append(seconds)
        kiln_first.append(float(out.split("median ")[1].split(" ms")[0]) / 1e3)
        torch_times.append(wall(torch_cmd, env)[0])
    return (statistics.median(kiln_times), statistics.median(kiln_first),
            statistics.median(torch_times))


# -------------------------------------------------------------------- memory

_HWM = "def hwm():\n    return int(next(l for l in open('/proc/self/status') " \
       "if l.startswith('VmHWM')).split()[1]) * 1024\n"

# Each child prints VmHWM at start (imports done), after loading the model,
# and after its first inference; torch loads the frozen trace and applies
# optimize_for_inference, as section 2 runs it.
TORCH_MEM = _HWM + """
import sys, torch
torch.set_num_threads(int(sys.argv[2]))
x = torch.rand(8, 3, 224, 224)
start = hwm()
with torch.no_grad():
    m = torch.jit.optimize_for_inference(torch.jit.load(sys.argv[1]))
    loaded = hwm()
    m(x)
print(start, loaded, hwm())
"""

KILN_MEM = _HWM + """
import sys, numpy as np, kiln, kiln.runtime
kiln.set_num_threads(int(sys.argv[2]))
x = np.random.default_rng(0).random((8, 3, 224, 224), dtype=np.float32)
start = hwm()
m = kiln.runtime.Model(sys.argv[1])
loaded = hwm()
m(x)
print(start, loaded, hwm(), m.peak_arena_bytes)
"""


def memory_case(kiln_path, torch_path, threads):
    """VmHWM growth (bytes) of fresh processes: (load, first inference) each,
    and kiln's arena."""
    env = child_env(threads)
    t = [int(v) for v in subprocess.run([PYTHON, "-c", TORCH_MEM, torch_path, str(threads)], env=env,
                                        capture_output=True, text=True, check=True).stdout.split()]
    k = [int(v) for v in subprocess.run([PYTHON, "-c", KILN_MEM, kiln_path, str(threads)], env=env,
                                        capture_output=True, text=True, check=True).stdout.split()]
    return {"kiln load": k[1] - k[0], "kiln run": k[2] - k[1], "arena": k[3],
            "torch load": t[1] - t[0], "torch run": t[2] - t[1]}


def model_constant_bytes(path):
    """Bytes of the constants (folded weights) in a dumped model's graph."""
    graph = str(kiln.runtime.Model(path)._impl.graph)
    total = 0
    for line in graph.splitlines():
        if line.startswith("const "):
            dims = line.split("float32(")[1].split(")")[0]
            total += 4 * int(np.prod([int(d) for d in dims.replace(" ", "").split(",") if d]))
    return total


def memory_section(kiln_b8, torch_b8, threads, summary):
    print("\n4. peak memory, ResNet-18 inference batch 8, fresh processes (VmHWM growth)")
    weights = model_constant_bytes(kiln_b8)
    mem = memory_case(kiln_b8, torch_b8, threads)
    kiln_total = mem["arena"] + weights
    torch_total = mem["torch load"] + mem["torch run"]
    kiln_rss = mem["kiln load"] + mem["kiln run"]
    rows = [("kiln arena (peak_arena_bytes)", mem["arena"]),
            ("kiln weights (constants in the model file)", weights),
            ("kiln arena + weights", kiln_total),
            ("torch RSS growth, first inference", mem["torch run"]),
            ("torch RSS growth, load+optimize + first inference", torch_total),
            ("kiln RSS growth, first inference", mem["kiln run"]),
            ("kiln RSS growth, load + first inference", kiln_rss)]
    for name, value in rows:
        print(f"{name:52s}{fmt_bytes(value):>12s}")
    print(f"{'ratio kiln arena+weights / torch first inference':52s}"
          f"{kiln_total / mem['torch run']:12.2f}")
    print(f"{'ratio kiln arena+weights / torch load + first inf.':52s}"
          f"{kiln_total / torch_total:12.2f}")
    print(f"{'ratio measured RSS, load + first inference':52s}{kiln_rss / torch_total:12.2f}")
    summary.append(("mem: arena+weights / torch 1st", kiln_total / mem["torch run"], None))
    summary.append(("mem: RSS growth, load + 1st", kiln_rss / torch_total, None))



# ---------------------------------------------------------------------- main


def main():
    global KILN_RUN
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds, training")
    parser.add_argument("--infer-repeat", type=int, default=15,
                        help="timed calls, inference at batch 1 (half at batch 8)")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--kiln-run", default=shutil.which("kiln-run") or "/usr/local/bin/kiln-run")
    parser.add_argument("--keep", default=None, help="write model files here and keep them")
    parser.add_argument("--sections", default="1234", help="which sections to run (default 1234)")
    args = parser.parse_args()
    KILN_RUN = args.kiln_run
    torch.set_num_threads(args.threads)
    kiln.set_num_threads(args.threads)
    kiln.random.seed(0)
    torch.manual_seed(0)
    began = time.perf_counter()
    workdir = args.keep or tempfile.mkdtemp(prefix="kiln_bench_")
    os.makedirs(workdir, exist_ok=True)
    load = os.getloadavg()[0]

    print(f"kiln {kiln.__version__} vs torch {torch.__version__}, {args.threads} threads, "
          f"median of {args.repeat} (training) / {args.infer_repeat} (inference); load average {load:.2f}; BLAS loaded: {loaded_blas()}")
    print(f"kiln from {os.path.dirname(kiln.__file__)}; kiln-run {KILN_RUN}")

    summary = []
    cols = ["kiln traced", "kiln eager", "torch eager", "torch jit.trace"]
    if "1" in args.sections:
        print("\n1. training step, batch 64 (SGD momentum 0.9, cross-entropy); "
              "ratio: kiln traced / torch's best")
        print(f"{'case':24s}" + "".join(f"{c:>16s}" for c in cols) + f"{'ratio':>8s}{'target':>8s}")
    for name, km, tm, shape, inner, target in [
            ("MLP 784-256-256-10", mlp_kiln(), mlp_torch(), (64, 784), 50, 0.6),
            ("LeNet", LeNetKiln(), LeNetTorch(), (64, 1, 28, 28), 10, 0.85)]:
        if "1" not in args.sections:
            break
        t = training_case(name, km, tm, shape, args.repeat, inner)
        ratio = t["kiln traced"] / min(t["torch eager"], t["torch jit.trace"])
        summary.append((f"train {name}", ratio, target))
        print(f"{name:24s}" + "".join(f"{fmt_time(t[c]):>16s}" for c in cols)
              + f"{ratio:8.2f}{target:8.2f}")

    if "2" in args.sections:
        print("\n2. inference, 3x224x224, random weights; kiln.runtime.Model on the dumped file "
              "(kiln-run's median beside it)\n   vs optimize_for_inference(freeze(trace)) under "
              "no_grad; ratio: kiln.runtime / torch")
        print(f"{'case':24s}{'kiln.runtime':>16s}{'kiln-run':>16s}{'torch':>16s}"
              f"{'kiln arena':>14s}{'ratio':>8s}{'target':>8s}")
    r18_kiln, r18_torch = models.kiln_resnet18(), models.torch_resnet18()
    mb_kiln, mb_torch = models.kiln_mobilenet_v2(), models.torch_mobilenet_v2()
    paths = {}
    for name, km, tm, batch in [("ResNet-18 batch 1", r18_kiln, r18_torch, 1),
                                ("ResNet-18 batch 8", r18_kiln, r18_torch, 8),
                                ("MobileNetV2 batch 1", mb_kiln, mb_torch, 1)]:
        path = os.path.join(workdir, name.replace(" ", "_").replace("-", "") + ".kiln")
        paths[name] = path
        if "2" not in args.sections:
            dump_kiln(km, batch, path)
            continue
        kt, run_t, tt, arena = inference_case(km, tm, batch, path, args.threads,
                                              max(3, args.infer_repeat // (1 if batch == 1 else 2)))
        summary.append((f"infer {name}", kt / tt, 0.9))
        print(f"{name:24s}{fmt_time(kt):>16s}{fmt_time(run_t):>16s}{fmt_time(tt):>16s}"
              f"{fmt_bytes(arena):>14s}{kt / tt:8.2f}{0.9:8.2f}")

    # Saved TorchScript for the subprocesses: optimize_for_inference's MKLDNN
    # constants do not survive torch.jit.save/load in torch 1.13 ("required
    # keyword attribute 'value' is undefined"), so the frozen trace is saved.
    kiln_b1 = paths["ResNet-18 batch 1"]
    torch_b1, torch_b8 = os.path.join(workdir, "resnet18_b1.pt"), os.path.join(workdir, "resnet18_b8.pt")
    models.copy_kiln_to_torch(r18_kiln, r18_torch)
    for batch, p in [(1, torch_b1), (8, torch_b8)]:
        with torch.no_grad():
            x = torch.rand(batch, 3, 224, 224)
            torch.jit.save(torch.jit.freeze(torch.jit.trace(r18_torch.eval(), x)), p)

    if "3" in args.sections:
        print(f"\n3. whole process, start to first ResNet-18 inference (batch 1), median of "
              f"{args.startup_runs}; torch loads the frozen trace (see the comment above)")
        kt, first, tt = startup_case(kiln_b1, torch_b1, args.threads, args.startup_runs)
        summary.append(("start-up to 1st ResNet-18", kt / tt, 0.1))
        print(f"{'kiln-run --iter 1':36s}{fmt_time(kt):>12s}   (its first inference: "
              f"{fmt_time(first).strip()})")
        print(f"{'python3 + torch.jit.load + 1 call':36s}{fmt_time(tt):>12s}")
        print(f"{'ratio (target 0.10)':36s}{kt / tt:12.3f}")
    if "4" in args.sections:
        memory_section(paths["ResNet-18 batch 8"], torch_b8, args.threads, summary)

    print("\nsummary (kiln/torch; below 1.0: kiln is faster/smaller)")
    for name, ratio, target in summary:
        verdict = "" if target is None else ("meets" if ratio <= target else "MISSES")
        tgt = "" if target is None else f"target {target:.2f}"
        print(f"  {name:32s}{ratio:8.3f}  {tgt:12s} {verdict}")
    print(f"took {time.perf_counter() - began:.0f} s; load average now {os.getloadavg()[0]:.2f}")
    if args.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Differentiable-pruning bench report: reads the run directories listed in OUT/manifest.csv
(written by bench/differentiable/run.sh) and writes
  OUT/dp_budgets.csv    every run with a budget: budget, achieved (compacted model), met, accuracy
  OUT/dp_compare.csv    per model at budget set B: plain / differentiable / uniform / l1_filter
  OUT/dp_ablation.csv   MobileNetV2 set B: task-only / resource-only / both / naive-PMU objective
  OUT/dp_overhead.csv   pruning run vs plain training (wall and training seconds), early termination
  OUT/dp_pmu_curves.csv exact and naive PMU per pruning update (exact vs naive objective)
  OUT/dp_bench.png      (python3-matplotlib, if present)
and prints the tables. Usage: report.py OUT"""
import csv
import json
import os
import sys

RES = [("peak_memory_kb", "peak_memory_bytes", 1024.0), ("model_size_kb", "model_size_bytes", 1024.0),
       ("macs", "macs", 1.0)]


def load(out, row):
    d = os.path.join(out, "runs", row["run"])
    with open(os.path.join(d, "summary.json")) as f:
        s = json.load(f)
    recs = []
    mpath = os.path.join(d, "metrics.jsonl")
    if os.path.exists(mpath):
        with open(mpath) as f:
            recs = [json.loads(line) for line in f if line.strip()]
    return s, recs


def achieved(s):
    p = s.get("prune", {})
    r = p.get("resources_after") or {k: s.get(k) for k in ("params", "macs", "model_size_bytes", "peak_memory_bytes")}
    return r


def budget_check(row, res):
    """(all met, 'resource value/limit ...' text) against the manifest's budget set."""
    ok, parts = True, []
    for key, rkey, scale in RES:
        lim = row.get(key, "-")
        if lim in ("-", "", None):
            continue
        limit = float(lim) * scale
        val = float(res[rkey])
        ok &= val <= limit
        unit = "KB" if scale > 1 else ""
        parts.append("%s %.4g/%.4g%s%s" % (key.replace("_kb", ""), val / scale, limit / scale, unit,
                                           "" if val <= limit else " OVER"))
    return ok, "; ".join(parts)


def fmt_table(rows, cols):
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    for r in rows:
        lines.append("  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(cols, widths)))
    return "\n".join(lines)


def write_csv(path, rows, cols):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)


def pct(x):
    return "%.2f" % (100.0 * x) if x is not None else ""


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "manifest.csv")) as f:
        manifest = list(csv.DictReader(f))
    runs = {}
    for row in manifest:
        try:
            runs[row["run"]] = (row,) + load(out, row)
        except (OSError, ValueError) as e:
            print("skipping %s: %s" % (row["run"], e))

    budgets, compare, ablation, overhead, curves = [], [], [], [], []
    for name, (row, s, recs) in runs.items():
        p = s.get("prune", {})
        res = achieved(s)
        acc = p.get("accuracy_after", s.get("test_accuracy"))
        entry = {"run": name, "model": row["model"], "part": row["part"], "variant": row["variant"],
                 "set": row["set"], "test_acc_pct": pct(acc), "params": res.get("params"), "macs": res.get("macs"),
                 "model_size_kb": "%.1f" % (res["model_size_bytes"] / 1024.0),
                 "pmu_kb": "%.2f" % (res["peak_memory_bytes"] / 1024.0),
                 "pmu_naive_kb": "%.2f" % (p["peak_memory_naive_bytes"] / 1024.0) if "peak_memory_naive_bytes" in p else "",
                 "wall_s": "%.1f" % s.get("wall_seconds", 0), "train_s": "%.1f" % s.get("train_seconds", 0),
                 "pruning_s": "%.2f" % p["pruning_seconds"] if "pruning_seconds" in p else "",
                 "updates": p.get("updates", ""), "pi_frozen_step": p.get("pi_frozen_step", "")}
        if row["set"] != "-":
            ok, text = budget_check(row, res)
            entry["within_budget"] = "yes" if ok else "NO"
            entry["budget_vs_achieved"] = text
            budgets.append(entry)
        if row["set"] in ("B", "-") and row["part"] in ("budgets", "baselines", "overhead") and row["variant"] != "dp_early":
            compare.append(entry)
        if row["model"] == "mobilenetv2" and row["set"] == "B" and row["variant"] in ("dp", "task", "resource", "naive_pmu"):
            ablation.append(dict(entry, objective={"dp": "both", "naive_pmu": "both, naive PMU"}.get(row["variant"], row["variant"] + " only")))
        if row["variant"] in ("dp", "naive_pmu") and row["set"] == "B":
            for r in recs:
                if "dp_peak_memory_exact_bytes" in r:
                    curves.append({"run": name, "objective": "naive" if row["variant"] == "naive_pmu" else "exact",
                                   "step": r["step"], "pmu_exact_kb": r["dp_peak_memory_exact_bytes"] / 1024.0,
                                   "pmu_naive_kb": r["dp_peak_memory_naive_bytes"] / 1024.0,
                                   "budget_kb": float(row["peak_memory_kb"]) if row["peak_memory_kb"] != "-" else ""})

    for m in sorted({r[0]["model"] for r in runs.values()}):
        plain = runs.get(m + "_plain")
        if not plain:
            continue
        ps = plain[1]
        for v in (m + "_dp_B", m + "_dp_B_early"):
            if v not in runs:
                continue
            s = runs[v][1]
            p = s.get("prune", {})
            o = {"model": m, "run": v, "plain_wall_s": "%.1f" % ps["wall_seconds"], "run_wall_s": "%.1f" % s["wall_seconds"],
                 "wall_overhead_pct": "%.1f" % (100.0 * (s["wall_seconds"] / ps["wall_seconds"] - 1)),
                 "plain_train_s": "%.1f" % ps["train_seconds"], "run_train_s": "%.1f" % s["train_seconds"],
                 "train_overhead_pct": "%.1f" % (100.0 * (s["train_seconds"] / ps["train_seconds"] - 1)),
                 "pruning_s": "%.2f" % p.get("pruning_seconds", 0), "commit_s": "%.2f" % p.get("commit_seconds", 0),
                 # The updates without the commits' one-off "accuracy before" test evaluation.
                 "pruning_wo_commit_pct_of_plain_train": "%.1f" % (100.0 * (p.get("pruning_seconds", 0) - p.get("commit_seconds", 0)) / ps["train_seconds"]),
                 "plain_acc_pct": pct(ps["test_accuracy"]), "run_acc_pct": pct(p.get("accuracy_after", s["test_accuracy"]))}
            et = p.get("early_termination") or {}
            if et.get("step") is not None:
                o.update({"early_step": et["step"], "early_seconds_saved": "%.1f" % et.get("seconds_saved", 0),
                          "early_compute_saved_pct": "%.1f" % (100.0 * et.get("compute_saved_fraction", 0))})
            overhead.append(o)

    bcols = ["run", "model", "set", "variant", "within_budget", "budget_vs_achieved", "test_acc_pct", "params",
             "pmu_kb", "pmu_naive_kb", "model_size_kb", "macs", "updates", "pi_frozen_step", "wall_s"]
    ccols = ["model", "variant", "test_acc_pct", "within_budget", "params", "pmu_kb", "model_size_kb", "macs", "train_s"]
    acols = ["objective", "test_acc_pct", "within_budget", "budget_vs_achieved", "pmu_kb", "pmu_naive_kb", "params",
             "updates", "pi_frozen_step"]
    ocols = ["model", "run", "plain_wall_s", "run_wall_s", "wall_overhead_pct", "plain_train_s", "run_train_s",
             "train_overhead_pct", "pruning_s", "commit_s", "pruning_wo_commit_pct_of_plain_train", "plain_acc_pct",
             "run_acc_pct", "early_step", "early_seconds_saved", "early_compute_saved_pct"]
    budgets.sort(key=lambda r: (r["model"], r["set"], r["variant"]))
    compare.sort(key=lambda r: (r["model"], ["plain", "dp", "uniform", "l1_filter"].index(r["variant"])
                                if r["variant"] in ("plain", "dp", "uniform", "l1_filter") else 9))
    write_csv(os.path.join(out, "dp_budgets.csv"), budgets, bcols)
    write_csv(os.path.join(out, "dp_compare.csv"), compare, ccols)
    write_csv(os.path.join(out, "dp_ablation.csv"), ablation, acols)
    write_csv(os.path.join(out, "dp_overhead.csv"), overhead, ocols)
    write_csv(os.path.join(out, "dp_pmu_curves.csv"), curves,
              ["run", "objective", "step", "pmu_exact_kb", "pmu_naive_kb", "budget_kb"])
    print("\n# budgets (achieved = compacted model, ResourceModel)\n" + fmt_table(budgets, bcols))
    print("\n# accuracy at budget set B\n" + fmt_table(compare, ccols))
    print("\n# ablation (MobileNetV2, set B)\n" + fmt_table(ablation, acols))
    print("\n# overhead\n" + fmt_table(overhead, ocols))
    missed = [b["run"] for b in budgets if b["within_budget"] != "yes"]
    print("\nruns over budget: %s" % (", ".join(missed) if missed else "none"))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not available (Debian python3-matplotlib): no plot")
        return
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.5))
    models = sorted({r["model"] for r in compare})
    variants = ["plain", "dp", "uniform", "l1_filter"]
    for k, v in enumerate(variants):
        ys = [next((float(r["test_acc_pct"]) for r in compare if r["model"] == m and r["variant"] == v), 0) for m in models]
        ax[0].bar([i + 0.2 * k for i in range(len(models))], ys, width=0.2, label=v)
    ax[0].set_xticks([i + 0.3 for i in range(len(models))])
    ax[0].set_xticklabels(models)
    ax[0].set_ylabel("test accuracy % (budget set B)")
    ax[0].set_ylim(50, 100)
    ax[0].legend()
    for obj, style in (("exact", "-"), ("naive", "--")):
        pts = [c for c in curves if c["objective"] == obj and "mobilenetv2" in c["run"]]
        if pts:
            ax[1].plot([c["step"] for c in pts], [c["pmu_exact_kb"] for c in pts], style, label="%s objective: true PMU" % obj)
            ax[1].plot([c["step"] for c in pts], [c["pmu_naive_kb"] for c in pts], style, alpha=0.5,
                       label="%s objective: naive PMU" % obj)
            if pts[0]["budget_kb"] != "":
                ax[1].axhline(pts[0]["budget_kb"], color="k", linewidth=0.8)
    ax[1].set_xlabel("training step")
    ax[1].set_ylabel("peak memory KB (MobileNetV2, set B)")
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "dp_bench.png"), dpi=110)
    print("plot: %s" % os.path.join(out, "dp_bench.png"))


if __name__ == "__main__":
    main()

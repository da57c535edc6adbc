#!/usr/bin/env python3
"""IMP bench report: reads OUT/<model>/{imp,dense,l1} run directories written by bench/imp/run.sh
and writes OUT/imp_levels.csv, OUT/imp_vs_l1.csv and (with matplotlib) OUT/imp_levels.png.
Usage: report.py OUT MODEL [MODEL ...]"""
import csv
import json
import math
import os
import sys


def levels(run_dir):
    """Per-level records: summary.json prune.level_records (complete also after a resume; a resumed
    run's metrics.jsonl loses records of steps past the resume step, which repeat across levels),
    else the imp_* keys of metrics.jsonl (last record of a level wins)."""
    summary = os.path.join(run_dir, "summary.json")
    if os.path.exists(summary):
        recs = json.load(open(summary)).get("prune", {}).get("level_records")
        if recs:
            return recs
    out = {}
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if "imp_level" in r:
                out[r["imp_level"]] = {k[4:]: v for k, v in r.items() if k.startswith("imp_")}
    return [out[k] for k in sorted(out)]


def num(v):
    return float("nan") if v is None else float(v)


def ratio(a, b):
    a, b = num(a), num(b)
    return a / b if b and not math.isnan(a) and not math.isnan(b) else float("nan")


def main():
    out_dir, models = sys.argv[1], sys.argv[2:]
    rows, cmp_rows = [], []
    for m in models:
        d = os.path.join(out_dir, m)
        recs = levels(os.path.join(d, "imp"))
        for r in recs:
            rows.append({
                "model": m, "level": r["level"], "density": r["density"], "sparsity": r["sparsity"],
                "sparse_acc": r.get("test_accuracy"), "exact_acc": r.get("exact_accuracy"),
                "legacy_acc": r.get("legacy_accuracy"), "params": r["params"],
                "nonzero_params": r.get("nonzero_params"),
                "exact_params": r.get("exact_params"), "legacy_params": r.get("legacy_params"),
                "exact_compression": r.get("exact_compression"), "legacy_compression": r.get("legacy_compression"),
                "exact_max_abs_diff": r.get("exact_max_abs_diff"), "legacy_max_abs_diff": r.get("legacy_max_abs_diff"),
                "exact_macs": r.get("exact_macs"), "macs": r.get("macs"),
                "sparse_latency_ms": r.get("sparse_latency_ms"), "exact_latency_ms": r.get("exact_latency_ms"),
                "legacy_latency_ms": r.get("legacy_latency_ms"),
                "exact_speedup": ratio(r.get("sparse_latency_ms"), r.get("exact_latency_ms")),
                "sparse_latency_min_ms": r.get("sparse_latency_min_ms"),
                "exact_latency_min_ms": r.get("exact_latency_min_ms"),
                "exact_speedup_min": ratio(r.get("sparse_latency_min_ms"), r.get("exact_latency_min_ms")),
                "exact_conversion_s": r.get("exact_seconds"), "legacy_conversion_s": r.get("legacy_seconds"),
                "level_train_s": r.get("level_seconds"),
            })
        dense_sum = os.path.join(d, "dense", "summary.json")
        by_level = {r["level"]: r for r in recs}
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            l1_sum = os.path.join(d, name, "summary.json")
            if not name.startswith("l1_level") or not os.path.exists(l1_sum):
                continue
            lvl = int(name[len("l1_level"):])
            if lvl not in by_level or not os.path.exists(dense_sum):
                continue
            l1 = json.load(open(l1_sum))
            dense = json.load(open(dense_sum))
            r = by_level[lvl]
            cmp_rows.append({
                "model": m, "level": lvl, "density": r["density"], "dense_run_acc": dense["test_accuracy"],
                "imp_level0_acc": recs[0]["test_accuracy"],
                "imp_sparse_acc": r["test_accuracy"], "exact_acc": r.get("exact_accuracy"),
                "exact_params": r.get("exact_params"),
                "exact_model_size_bytes": r.get("exact_model_size_bytes"),
                "exact_conversion_s": r.get("exact_seconds"),
                "l1_acc": l1["test_accuracy"], "l1_params": l1["params"], "l1_model_size_bytes": l1["model_size_bytes"],
                "l1_wall_s": l1["wall_seconds"],
                "l1_over_conversion": ratio(l1["wall_seconds"], r.get("exact_seconds")),
            })
    if not rows:
        sys.exit("no IMP level records found")
    with open(os.path.join(out_dir, "imp_levels.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    if cmp_rows:
        with open(os.path.join(out_dir, "imp_vs_l1.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(cmp_rows[0].keys()))
            w.writeheader()
            w.writerows(cmp_rows)

    fmt = "{model:9s} {level:>3} {density:>8.4f} {sparse_acc:>7.4f} {exact_acc:>7.4f} {legacy_acc:>7.4f} " \
          "{params:>8} {exact_params:>8} {exact_compression:>6.3f} {legacy_compression:>6.3f} " \
          "{exact_max_abs_diff:>9.2e} {sparse_latency_ms:>8.3f} {exact_latency_ms:>8.3f} {exact_speedup:>6.3f} " \
          "{exact_conversion_s:>7.4f}"
    print("%-9s %3s %8s %7s %7s %7s %8s %8s %6s %6s %9s %8s %8s %6s %7s" % (
        "model", "lvl", "density", "sparse", "exact", "legacy", "params", "ex_par", "ex_cx", "lg_cx", "ex_diff",
        "sp_ms", "ex_ms", "spdup", "conv_s"))
    for r in rows:
        print(fmt.format(**{k: (num(v) if k not in ("model", "level", "params", "exact_params") else
                                (v if v is not None else -1)) for k, v in r.items()}))
    for c in cmp_rows:
        print("%s level %d: conversion %.4f s vs l1_filter prune+fine-tune %.1f s (%.0fx); acc exact %.4f vs l1 %.4f; "
              "params exact %d vs l1 %d; dense run acc %.4f = IMP level 0 acc %.4f" % (
                  c["model"], c["level"], num(c["exact_conversion_s"]), c["l1_wall_s"], num(c["l1_over_conversion"]),
                  num(c["exact_acc"]), c["l1_acc"], c["exact_params"], c["l1_params"], c["dense_run_acc"],
                  c["imp_level0_acc"]))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not available (Debian python3-matplotlib): no plot")
        return
    fig, axes = plt.subplots(len(models), 3, figsize=(15, 4 * len(models)), squeeze=False)
    for i, m in enumerate(models):
        rs = [r for r in rows if r["model"] == m]
        x = [100.0 * r["density"] for r in rs]
        ax = axes[i][0]
        for key, label in (("sparse_acc", "sparse"), ("exact_acc", "converted (exact)"), ("legacy_acc", "converted (legacy)")):
            ax.plot(x, [100.0 * num(r[key]) for r in rs], marker="o", label=label)
        ax.set_xscale("log"); ax.invert_xaxis(); ax.set_xlabel("weights remaining (%)"); ax.set_ylabel("test accuracy (%)")
        ax.set_title(m + ": accuracy per IMP level"); ax.legend(); ax.grid(True, alpha=0.3)
        ax = axes[i][1]
        ax.plot(x, [num(r["exact_compression"]) for r in rs], marker="o", label="exact")
        ax.plot(x, [num(r["legacy_compression"]) for r in rs], marker="s", label="legacy")
        ax.set_xscale("log"); ax.set_yscale("log"); ax.invert_xaxis(); ax.set_xlabel("weights remaining (%)")
        ax.set_ylabel("params sparse / converted"); ax.set_title(m + ": structural compression"); ax.legend()
        ax.grid(True, alpha=0.3)
        ax = axes[i][2]
        # Minimum over the timed runs when recorded (robust to load from other processes), else median.
        key = "_latency_min_ms" if not math.isnan(num(rs[0]["sparse_latency_min_ms"])) else "_latency_ms"
        ax.plot(x, [num(r["sparse" + key]) for r in rs], marker="o", label="sparse (" + ("min" if "min" in key else "median") + ")")
        ax.plot(x, [num(r["exact" + key]) for r in rs], marker="s", label="converted, exact (" + ("min" if "min" in key else "median") + ")")
        ax.set_xscale("log"); ax.invert_xaxis(); ax.set_xlabel("weights remaining (%)")
        ax.set_ylabel("CPU latency per batch (ms)"); ax.set_title(m + ": LibTorch CPU latency"); ax.legend()
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "imp_levels.png"), dpi=90)
    print("wrote", os.path.join(out_dir, "imp_levels.csv"), os.path.join(out_dir, "imp_levels.png"))


if __name__ == "__main__":
    main()

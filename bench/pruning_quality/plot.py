"""Accuracy vs stored bytes per architecture (bench/pruning_quality/run.sh writes the CSV)."""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["bytes"] and r["test_accuracy"]]
archs = sorted({r["arch"] for r in rows})
fig, axes = plt.subplots(1, len(archs), figsize=(6 * len(archs), 4.5), squeeze=False)
style = {"filterlet": ("o-", "filterlet (FWCS)"), "l1_filter": ("s-", "l1_filter (dense)"),
         "magnitude": ("^-", "magnitude (CSR)")}
for ax, arch in zip(axes[0], archs):
    mine = [r for r in rows if r["arch"] == arch]
    for method, (fmt, label) in style.items():
        pts = sorted((int(r["bytes"]) / 1024, 100 * float(r["test_accuracy"])) for r in mine if r["method"] == method)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], fmt, label=label)
    for r in mine:
        if r["method"] == "dense":
            ax.axhline(100 * float(r["test_accuracy"]), color="gray", ls="--", lw=1,
                       label="dense (%.0f KB)" % (int(r["bytes"]) / 1024))
    ax.set_title(arch + " on Fashion-MNIST")
    ax.set_xlabel("stored bytes (KB): weights + indices + bias/quant params")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=120)
print("plot:", sys.argv[2])

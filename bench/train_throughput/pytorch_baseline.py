#!/usr/bin/env python3
"""PyTorch (Debian python3-torch) side of bench/train_throughput: trains the same graph as the
C++ trainer (read from the graph file the C++ benchmark wrote) on Fashion-MNIST with the same
batch size, optimizer and thread count, and prints one JSON line with images/s.

The data pipeline is the fastest plain-PyTorch one: the whole set pre-normalized in memory,
batches gathered by index from a fresh permutation per epoch.
"""
import argparse
import gzip
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml

ROOT = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class GraphNet(nn.Module):
    """Executes a TinyPrune graph file: one node per op, same semantics as GraphModule."""

    def __init__(self, spec):
        super().__init__()
        self.nodes = spec["nodes"]
        self.index = {n["name"]: i for i, n in enumerate(self.nodes)}
        self.layers = nn.ModuleDict()
        channels = {}
        for n in self.nodes:
            op = n["op"]
            ins = n.get("inputs", [])
            cin = channels[ins[0]] if ins else None
            if op == "input":
                channels[n["name"]] = n["shape"][0]
            elif op == "conv2d":
                self.layers[n["name"]] = nn.Conv2d(cin, n["out_channels"], tuple(n["kernel"]), tuple(n["stride"]),
                                                   tuple(n["padding"]), groups=n["groups"], bias=n["bias"])
                channels[n["name"]] = n["out_channels"]
            elif op == "batch_norm":
                self.layers[n["name"]] = nn.BatchNorm2d(cin, eps=n["eps"], momentum=n["momentum"])
                channels[n["name"]] = cin
            elif op == "linear":
                channels[n["name"]] = n["out_features"]
                self.layers[n["name"]] = None  # input width known at first forward
            else:
                channels[n["name"]] = cin
        self.output = spec["output"]

    def build_linears(self, x):
        with torch.no_grad():
            self.forward(x, build=True)

    def forward(self, x, build=False):
        vals = {}
        for n in self.nodes:
            op, name, ins = n["op"], n["name"], n.get("inputs", [])
            a = vals[ins[0]] if ins else x
            if op == "input":
                y = x
            elif op in ("conv2d", "batch_norm"):
                y = self.layers[name](a)
            elif op == "relu":
                y = F.relu(a)
            elif op == "relu6":
                y = F.hardtanh(a, 0.0, 6.0)
            elif op == "max_pool":
                y = F.max_pool2d(a, tuple(n["kernel"]), tuple(n["stride"]), tuple(n["padding"]))
            elif op == "avg_pool":
                y = F.avg_pool2d(a, tuple(n["kernel"]), tuple(n["stride"]), tuple(n["padding"]))
            elif op == "global_avg_pool":
                y = a.mean((2, 3), keepdim=True)
            elif op == "add":
                y = a + vals[ins[1]]
            elif op == "flatten":
                y = a.flatten(1).view(a.size(0), -1, 1, 1)
            elif op == "linear":
                if build and self.layers[name] is None:
                    self.layers[name] = nn.Linear(a.size(1), n["out_features"], bias=n["bias"])
                y = self.layers[name](a.view(a.size(0), -1)).view(a.size(0), -1, 1, 1)
            elif op == "dropout":
                y = F.dropout(a, n["p"], self.training)
            else:
                raise ValueError("unknown op " + op)
            vals[name] = y
        out = vals[self.output]
        return out.view(out.size(0), -1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--graph", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--memory-format", choices=["contiguous", "channels_last"], default="contiguous",
                   help="contiguous = what a PyTorch script gets by default")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    with open(a.graph) as f:
        spec = yaml.safe_load(f)
    images = read_idx(f"{ROOT}/train-images-idx3-ubyte.gz")
    labels = torch.from_numpy(read_idx(f"{ROOT}/train-labels-idx1-ubyte.gz").astype(np.int64))
    x_all = (torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1) - 0.2860) / 0.3530
    net = GraphNet(spec)
    net.build_linears(x_all[:2])
    fmt = torch.channels_last if a.memory_format == "channels_last" else torch.contiguous_format
    net = net.to(memory_format=fmt)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    net.train()
    perm = torch.randperm(x_all.size(0))
    pos = 0
    images_timed = 0
    start = None
    for step in range(a.warmup + a.steps):
        if step == a.warmup:
            start = time.perf_counter()
        if pos + a.batch > perm.numel():
            perm, pos = torch.randperm(x_all.size(0)), 0
        idx = perm[pos:pos + a.batch]
        pos += a.batch
        xb, yb = x_all.index_select(0, idx).contiguous(memory_format=fmt), labels.index_select(0, idx)
        opt.zero_grad()
        loss = F.cross_entropy(net(xb), yb)
        loss.backward()
        opt.step()
        loss.item()  # same per-step sync as the C++ trainer's statistics
        if step >= a.warmup:
            images_timed += a.batch
    elapsed = time.perf_counter() - start
    print(json.dumps({"impl": "pytorch", "threads": a.threads, "batch": a.batch, "memory_format": a.memory_format,
                      "images_per_second": images_timed / elapsed}))


if __name__ == "__main__":
    main()

// Communicator: the seam for data-parallel training over several processes and hosts.
//
// The trainer talks to ranks only through this interface: one gradient all-reduce after
// backward, a broadcast for decisions taken on rank 0 (pruning masks), metric reduction, and
// "am I rank 0?" for writing the run directory. `LocalCommunicator` is the single-process
// implementation; a c10d ProcessGroupGloo + TCPStore implementation plugs in here later without
// touching the trainer or the pruners.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

namespace tinyprune {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  bool is_main() const { return rank() == 0; }
  // Averages gradients (in place) over all ranks. Called once per step, after backward.
  // Gradients come in their parameters' layout: conv gradients are channels_last while the
  // trainer runs that memory format (train.memory_format). Every rank has the same layout and
  // the tensors are non-overlapping and dense, so reducing their storage element-wise is valid;
  // an implementation that packs tensors into one buffer must use reshape(-1), not view(-1).
  virtual void allreduce_mean(std::vector<at::Tensor>& tensors) = 0;
  // Sums tensors (in place) over ranks; for metric counts.
  virtual void allreduce_sum(std::vector<at::Tensor>& tensors) = 0;
  // Copies rank 0's tensors to every rank (in place).
  virtual void broadcast(std::vector<at::Tensor>& tensors) = 0;
  virtual void barrier() = 0;
};

// One process: every collective is the identity.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  void allreduce_mean(std::vector<at::Tensor>&) override {}
  void allreduce_sum(std::vector<at::Tensor>&) override {}
  void broadcast(std::vector<at::Tensor>&) override {}
  void barrier() override {}
};

}  // namespace tinyprune

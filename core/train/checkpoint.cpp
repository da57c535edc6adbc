#include "core/train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <mutex>

#include "core/atomic_file.h"
#include "core/error.h"

namespace tinyprune {
namespace {

torch::Tensor string_tensor(const std::string& s) {
  auto t = torch::empty({static_cast<int64_t>(s.size())}, torch::kUInt8);
  std::memcpy(t.data_ptr(), s.data(), s.size());
  return t;
}

std::string tensor_string(const torch::Tensor& t) {
  auto c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()));
}

void write_graph(torch::serialize::OutputArchive& ar, const Graph& g) {
  ar.write("graph_yaml", string_tensor(g.to_yaml()));
}

Graph read_graph(torch::serialize::InputArchive& ar, const std::string& path) {
  torch::Tensor t;
  ar.read("graph_yaml", t);
  return Graph::from_yaml(YAML::Load(tensor_string(t)), path + " (embedded graph)");
}

torch::serialize::InputArchive open_archive(const std::string& path) {
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path);
  } catch (const c10::Error& e) {
    throw Error(str_cat(path, ": not a readable TinyPrune checkpoint/model file: ", e.what_without_backtrace()));
  }
  return ar;
}

}  // namespace

void save_checkpoint(const std::string& path, GraphModule& model, const torch::optim::Optimizer& optimizer,
                     const CheckpointMeta& meta, const std::vector<std::shared_ptr<Callback>>& callbacks) {
  torch::serialize::OutputArchive ar;
  write_graph(ar, model->graph());
  torch::serialize::OutputArchive model_ar, opt_ar, cb_ar;
  model->save(model_ar);
  optimizer.save(opt_ar);
  ar.write("model", model_ar);
  ar.write("optimizer", opt_ar);
  ar.write("meta", torch::tensor({meta.step, meta.epoch, meta.step_in_epoch, meta.metrics_records}, torch::kInt64));
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    ar.write("rng", gen.get_state());
  }
  for (const auto& cb : callbacks) {
    torch::serialize::OutputArchive one;
    cb->save_state(one);
    cb_ar.write(cb->name(), one);
  }
  ar.write("callbacks", cb_ar);
  write_file_atomic_with(path, [&](const std::string& tmp) { ar.save_to(tmp); });
}

Graph read_checkpoint_graph(const std::string& path) {
  auto ar = open_archive(path);
  return read_graph(ar, path);
}

CheckpointMeta load_checkpoint(const std::string& path, GraphModule& model, torch::optim::Optimizer& optimizer,
                               const std::vector<std::shared_ptr<Callback>>& callbacks) {
  auto ar = open_archive(path);
  CheckpointMeta meta;
  try {
    torch::serialize::InputArchive model_ar, opt_ar, cb_ar;
    ar.read("model", model_ar);
    model->load(model_ar);
    ar.read("optimizer", opt_ar);
    optimizer.load(opt_ar);
    torch::Tensor m, rng;
    ar.read("meta", m);
    meta.step = m[0].item<int64_t>();
    meta.epoch = m[1].item<int64_t>();
    meta.step_in_epoch = m[2].item<int64_t>();
    if (m.numel() >= 4) meta.metrics_records = m[3].item<int64_t>();
    ar.read("rng", rng);
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(rng);
    }
    ar.read("callbacks", cb_ar);
    for (const auto& cb : callbacks) {
      torch::serialize::InputArchive one;
      if (cb_ar.try_read(cb->name(), one)) cb->load_state(one);
    }
  } catch (const c10::Error& e) {
    throw Error(str_cat(path, ": checkpoint does not match this run: ", e.what_without_backtrace()));
  }
  return meta;
}

void save_model(const std::string& path, GraphModule& model) {
  torch::serialize::OutputArchive ar, model_ar;
  write_graph(ar, model->graph());
  model->save(model_ar);
  ar.write("model", model_ar);
  write_file_atomic_with(path, [&](const std::string& tmp) { ar.save_to(tmp); });
}

namespace {
GraphModule model_from_archive(torch::serialize::InputArchive& ar, const std::string& path) {
  GraphModule model(read_graph(ar, path));
  try {
    torch::serialize::InputArchive model_ar;
    ar.read("model", model_ar);
    model->load(model_ar);
  } catch (const c10::Error& e) {
    throw Error(str_cat(path, ": model weights do not match the stored graph: ", e.what_without_backtrace()));
  }
  return model;
}
}  // namespace

GraphModule load_model(const std::string& path) {
  auto ar = open_archive(path);
  return model_from_archive(ar, path);
}

std::string save_model_bytes(GraphModule& model) {
  torch::serialize::OutputArchive ar, model_ar;
  write_graph(ar, model->graph());
  model->save(model_ar);
  ar.write("model", model_ar);
  std::string bytes;
  ar.save_to([&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  return bytes;
}

GraphModule load_model_bytes(std::string bytes, const std::string& where) {
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(bytes.data(), bytes.size());
  } catch (const c10::Error& e) {
    throw Error(str_cat(where, ": not a readable TinyPrune model: ", e.what_without_backtrace()));
  }
  std::string().swap(bytes);  // the archive owns copies of every record now
  return model_from_archive(ar, where);
}

}  // namespace tinyprune

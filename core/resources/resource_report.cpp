#include "core/resources/resource_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace tinyprune {
namespace {

std::string kib(int64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  return buf;
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

}  // namespace

std::string format_resource_table(const ResourceModel& model, const ResourceReport& report) {
  const std::vector<std::string> header = {"layer", "op", "fused", "output", "params", "MACs", "flash_B", "act_B", "peak"};
  std::vector<std::vector<std::string>> rows;
  for (const LayerResources& l : report.layers)
    rows.push_back({l.name, std::string(op_kind_name(l.kind)), l.fused.empty() ? "-" : join(l.fused, "+"),
                    str_cat(l.shape.c, "x", l.shape.h, "x", l.shape.w), std::to_string(l.params),
                    std::to_string(l.macs), std::to_string(l.flash_bytes), std::to_string(l.activation_bytes),
                    l.in_bottleneck ? "*" : ""});
  rows.push_back({"total", "", "", "", std::to_string(report.params), std::to_string(report.macs),
                  std::to_string(report.model_size_bytes), "", ""});
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  std::ostringstream os;
  auto emit = [&](const std::vector<std::string>& r) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      const bool numeric = c >= 4 && c <= 7;  // right-align numbers
      const std::string pad(width[c] - r[c].size(), ' ');
      line += (c ? "  " : "") + (numeric ? pad + r[c] : r[c] + pad);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    os << line << "\n";
  };
  emit(header);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + 1 == rows.size()) {
      size_t total = 0;
      for (size_t w : width) total += w + 2;
      os << std::string(total - 2, '-') << "\n";
    }
    emit(rows[i]);
  }
  os << "peak memory (int8): " << report.peak_memory_bytes << " B (" << kib(report.peak_memory_bytes) << ")"
     << (report.peak_memory_exact ? " exact, optimal order" : " DEFAULT ORDER (exact DP gave up)")
     << (model.options().inplace_add ? ", in-place add" : "") << "\n";
  if (!report.peak_memory_exact) os << "  note: " << report.peak_memory_note << "\n";
  os << "peak memory, definition order: " << report.peak_memory_default_order_bytes << " B ("
     << kib(report.peak_memory_default_order_bytes) << ")\n";
  os << "peak memory, naive per-op bound: " << report.peak_memory_naive_bytes << " B ("
     << kib(report.peak_memory_naive_bytes) << ")\n";
  os << "model size (int8): " << report.model_size_bytes << " B (" << kib(report.model_size_bytes)
     << "), weights only " << report.model_size_weights_only_bytes << " B ("
     << kib(report.model_size_weights_only_bytes) << ")\n";
  os << "params: " << report.params << "  MACs: " << report.macs << "\n";
  return os.str();
}

Json resource_json(const ResourceModel& model, const ResourceReport& report) {
  const Graph& g = model.graph();
  const ChannelGroups& groups = model.groups();
  Json j = Json::object();
  j["params"] = report.params;
  j["macs"] = report.macs;
  j["model_size_bytes"] = report.model_size_bytes;
  j["model_size_weights_only_bytes"] = report.model_size_weights_only_bytes;
  j["peak_memory_bytes"] = report.peak_memory_bytes;
  j["peak_memory_exact"] = report.peak_memory_exact;
  j["peak_memory_note"] = report.peak_memory_note;
  j["peak_memory_default_order_bytes"] = report.peak_memory_default_order_bytes;
  j["peak_memory_naive_bytes"] = report.peak_memory_naive_bytes;
  j["dp_states"] = report.dp_states;
  j["inplace_add"] = model.options().inplace_add;
  j["execution_order"] = report.execution_order_names;
  Json bottleneck = Json::array();
  for (int t : report.bottleneck) bottleneck.push_back(report.layers[static_cast<size_t>(t)].name);
  j["bottleneck"] = bottleneck;

  Json layers = Json::array();
  for (const LayerResources& l : report.layers) {
    Json o = Json::object();
    o["name"] = l.name;
    o["op"] = std::string(op_kind_name(l.kind));
    o["fused"] = l.fused;
    o["shape"] = std::vector<int64_t>{l.shape.c, l.shape.h, l.shape.w};
    o["group"] = groups.group(l.group).name;
    o["params"] = l.params;
    o["macs"] = l.macs;
    o["weight_bytes"] = l.weight_bytes;
    o["flash_bytes"] = l.flash_bytes;
    o["activation_bytes"] = l.activation_bytes;
    o["in_bottleneck"] = l.in_bottleneck;
    layers.push_back(std::move(o));
  }
  j["layers"] = layers;

  auto names = [&](const std::vector<int>& ids) {
    std::vector<std::string> out;
    for (int id : ids) out.push_back(g.node(id).name);
    return out;
  };
  Json gs = Json::array();
  for (const ChannelGroup& grp : groups.groups()) {
    Json o = Json::object();
    o["id"] = grp.id;
    o["name"] = grp.name;
    o["channels"] = grp.channels;
    o["width"] = report.widths[static_cast<size_t>(grp.id)];
    o["prunable"] = grp.prunable;
    o["fixed_reason"] = grp.fixed_reason;
    o["producers"] = names(grp.producers);
    o["members"] = names(grp.members);
    Json consumers = Json::array();
    for (const GroupConsumer& c : grp.consumers) {
      Json co = Json::object();
      co["node"] = g.node(c.node).name;
      co["input"] = g.node(c.input).name;
      co["block"] = c.block;
      consumers.push_back(std::move(co));
    }
    o["consumers"] = consumers;
    gs.push_back(std::move(o));
  }
  j["groups"] = gs;
  return j;
}

}  // namespace tinyprune

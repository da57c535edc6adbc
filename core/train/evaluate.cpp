#include "core/train/evaluate.h"

#include <torch/torch.h>

#include "core/dist/communicator.h"
#include "datasets/dataset.h"
#include "datasets/loader.h"

namespace tinyprune {

EvalResult evaluate(GraphModule& model, const std::shared_ptr<const Dataset>& data, int64_t batch_size,
                    int64_t workers, Communicator* comm) {
  EvalResult r;
  if (!data || data->size() == 0) return r;
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  LoaderOptions lo;
  lo.batch_size = batch_size;
  lo.shuffle = false;
  lo.drop_last = false;
  lo.workers = workers;
  lo.augment = false;
  DataLoader loader(data, lo);
  loader.start_epoch(0);
  double loss_sum = 0.0;
  int64_t correct = 0;
  while (auto batch = loader.next()) {
    auto logits = model->forward(batch->images);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, batch->labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    correct += logits.argmax(1).eq(batch->labels).sum().item<int64_t>();
    r.count += batch->labels.size(0);
  }
  if (comm && comm->world_size() > 1) {
    std::vector<at::Tensor> t{torch::tensor({loss_sum, static_cast<double>(correct), static_cast<double>(r.count)},
                                            torch::kFloat64)};
    comm->allreduce_sum(t);
    loss_sum = t[0][0].item<double>();
    correct = static_cast<int64_t>(t[0][1].item<double>());
    r.count = static_cast<int64_t>(t[0][2].item<double>());
  }
  r.accuracy = r.count ? static_cast<double>(correct) / static_cast<double>(r.count) : 0.0;
  r.loss = r.count ? loss_sum / static_cast<double>(r.count) : 0.0;
  model->train(was_training);
  return r;
}

}  // namespace tinyprune

#include "datasets/loader.h"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "core/error.h"
#include "datasets/seeding.h"

namespace tinyprune {

namespace {

// Everything one epoch's workers touch. Owned by shared_ptr so a worker never outlives it.
struct EpochJob {
  std::shared_ptr<const Dataset> dataset;
  std::vector<int64_t> order;  // sample order of the whole epoch
  int64_t batch_size = 0, num_batches = 0;
  uint64_t augment_seed = 0;
  bool augment = true;

  Batch build(int64_t k) const {
    const auto begin = order.begin() + k * batch_size;
    const auto end = order.begin() + std::min<int64_t>((k + 1) * batch_size, static_cast<int64_t>(order.size()));
    const std::vector<int64_t> indices(begin, end);
    return augment ? dataset->get_batch(indices, augment_seed) : dataset->get_unaugmented_batch(indices);
  }
};

struct Slot {
  std::optional<Batch> batch;
  std::exception_ptr error;
};

}  // namespace

struct DataLoader::State {
  std::shared_ptr<const Dataset> dataset;
  LoaderOptions options;
  int64_t epoch = -1;
  int64_t cursor = 0;  // next batch to hand out
  std::shared_ptr<const EpochJob> job;

  // Worker coordination (only used when options.workers > 0).
  std::mutex mu;
  std::condition_variable ready_cv;  // a slot was filled
  std::condition_variable space_cv;  // the consumer took a batch, or stop
  std::map<int64_t, Slot> ready;     // finished batches not yet handed out, by batch index
  int64_t next_claim = 0;            // next batch index a worker will build
  bool stop = false;
  std::vector<std::thread> threads;

  int64_t capacity() const { return 2 * options.workers; }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    space_cv.notify_all();
    for (auto& t : threads) t.join();
    threads.clear();
    ready.clear();
    stop = false;
  }

  void worker_loop() {
    std::shared_ptr<const EpochJob> my_job;
    for (;;) {
      int64_t k = 0;
      {
        std::unique_lock<std::mutex> lock(mu);
        // Bounded: at most capacity() batches built ahead of the consumer.
        space_cv.wait(lock, [&] { return stop || next_claim >= job->num_batches || next_claim < cursor + capacity(); });
        if (stop || next_claim >= job->num_batches) return;
        k = next_claim++;
        my_job = job;
      }
      Slot slot;
      try {
        slot.batch = my_job->build(k);
      } catch (...) {
        slot.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        ready.emplace(k, std::move(slot));
      }
      ready_cv.notify_all();
    }
  }
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options)
    : state_(std::make_unique<State>()) {
  TP_CHECK(dataset != nullptr, "DataLoader: null dataset");
  TP_CHECK_T(ConfigError, options.batch_size >= 1, "batch_size: expected an integer >= 1, got ", options.batch_size);
  TP_CHECK_T(ConfigError, options.workers >= 0, "workers: expected an integer >= 0, got ", options.workers);
  state_->dataset = std::move(dataset);
  state_->options = options;
}

DataLoader::~DataLoader() {
  if (state_) state_->stop_workers();
}

DataLoader::DataLoader(DataLoader&&) noexcept = default;

DataLoader& DataLoader::operator=(DataLoader&& other) noexcept {
  if (this != &other) {
    if (state_) state_->stop_workers();
    state_ = std::move(other.state_);
  }
  return *this;
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = state_->dataset->size(), b = state_->options.batch_size;
  return state_->options.drop_last ? n / b : (n + b - 1) / b;
}

void DataLoader::start_epoch(int64_t epoch, int64_t skip_batches) {
  State& s = *state_;
  const int64_t num_batches = batches_per_epoch();
  TP_CHECK(epoch >= 0, "DataLoader::start_epoch: epoch must be >= 0, got ", epoch);
  TP_CHECK(skip_batches >= 0 && skip_batches <= num_batches, "DataLoader::start_epoch: skip_batches ", skip_batches,
           " outside [0, ", num_batches, "]");
  s.stop_workers();

  auto job = std::make_shared<EpochJob>();
  job->dataset = s.dataset;
  const int64_t n = s.dataset->size();
  const auto e = static_cast<uint64_t>(epoch);
  if (s.options.shuffle) {
    job->order = seeded_permutation(n, mix_seed(s.options.seed, SeedStream::kEpochOrder, {e}));
  } else {
    job->order.resize(static_cast<size_t>(n));
    std::iota(job->order.begin(), job->order.end(), int64_t{0});
  }
  job->batch_size = s.options.batch_size;
  job->num_batches = num_batches;
  job->augment_seed = mix_seed(s.options.seed, SeedStream::kAugment, {e});
  job->augment = s.options.augment;

  s.job = std::move(job);
  s.epoch = epoch;
  s.cursor = skip_batches;
  s.next_claim = skip_batches;
  for (int64_t w = 0; w < s.options.workers && skip_batches < num_batches; ++w)
    s.threads.emplace_back([&s] { s.worker_loop(); });
}

std::optional<Batch> DataLoader::next() {
  State& s = *state_;
  TP_CHECK(s.job != nullptr, "DataLoader::next: call start_epoch first");
  if (s.cursor >= s.job->num_batches) return std::nullopt;
  if (s.options.workers == 0) {
    const int64_t k = s.cursor;
    try {
      Batch b = s.job->build(k);
      ++s.cursor;
      return b;
    } catch (...) {
      s.cursor = s.job->num_batches;  // same contract as with workers: an error ends the epoch
      throw;
    }
  }
  Slot slot;
  {
    std::unique_lock<std::mutex> lock(s.mu);
    s.ready_cv.wait(lock, [&] { return s.ready.count(s.cursor) != 0; });
    auto it = s.ready.find(s.cursor);
    slot = std::move(it->second);
    s.ready.erase(it);
    ++s.cursor;
  }
  s.space_cv.notify_all();
  if (slot.error) {
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.cursor = s.job->num_batches;
    }
    s.stop_workers();
    std::rethrow_exception(slot.error);
  }
  return std::move(slot.batch);
}

int64_t DataLoader::batch_index() const { return state_->cursor; }
int64_t DataLoader::epoch() const { return state_->epoch; }
const Dataset& DataLoader::dataset() const { return *state_->dataset; }
const LoaderOptions& DataLoader::options() const { return state_->options; }

}  // namespace tinyprune


// ProbeOutput: one analysis's probe set, test split and activations file.
#include "probe_output.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/models/registry.hpp"
#include "clusterprobe/train/data_parallel.hpp"

namespace cp::detail {
namespace {

namespace fs = std::filesystem;

torch::Tensor labels_tensor(const std::vector<std::int32_t>& labels, const torch::Device& device) {
  return torch::from_blob(const_cast<std::int32_t*>(labels.data()),
                          {static_cast<std::int64_t>(labels.size())}, torch::kInt32)
      .to(device, torch::kInt64);
}

ActivationMeta activation_meta(const RunSpec& run, const Dataset& data, const TrainingFacts& facts) {
  ActivationMeta meta;
  meta.run_id = run.id;
  meta.config_yaml = run.resolved_yaml;
  std::string listed;
  for (int e : facts.stored) listed += (listed.empty() ? "" : ",") + std::to_string(e);
  meta.string_attrs = {{"dataset", run.dataset},           {"architecture", run.architecture},
                       {"normalization", run.normalization}, {"pretraining", run.pretraining},
                       {"hierarchy", data.hierarchy.name},   {"probe_split", run.extract.split},
                       {"trained_on", run.labels},           {"stored_epochs", listed},
                       // Which files hold the same network: one training, several analyses.
                       {"training_id", run.training_id},     {"trained_by", facts.trained_by}};
  if (facts.pretrained) meta.string_attrs.emplace_back("finetune", facts.finetune);
  // The report's penultimate columns read it from here (a scripted model's
  // probe points are known only to the model itself).
  if (is_known_architecture(run.architecture))
    meta.string_attrs.emplace_back("penultimate", penultimate_point(run.architecture));
  meta.number_attrs = {{"seed", run.seed}, {"epochs", run.train.epochs}};
  meta.half = run.extract.dtype == "float16";
  meta.deflate = run.extract.deflate;
  return meta;
}

}  // namespace

Tensors to_tensors(const Split& split, const std::vector<std::int64_t>& sample_shape, const torch::Device& device) {
  std::vector<std::int64_t> shape{split.size()};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  auto x = torch::from_blob(const_cast<float*>(split.x.data()), shape, torch::kFloat32).to(device, false, true);
  return {x, labels_tensor(split.coarse, device), labels_tensor(split.fine, device)};
}

void say_if_short(const char* key, std::int64_t max_samples, const char* split, std::int64_t have) {
  if (max_samples > have)
    spdlog::warn("{}={} but the {} split has {} samples: all {} are used", key, max_samples, split, have, have);
}

ProbeOutput::ProbeOutput(const RunSpec& run, const Dataset& data, const std::string& run_dir,
                         const TrainingFacts& facts, const torch::Device& device, MPI_Comm comm)
    : run_(run), data_(data), files_(run_dir), facts_(facts), comm_(comm) {
  label_map_ = make_label_map(data.hierarchy, run.labels == "fine", device);
  const Split& source = run.extract.split == "train" ? data.train : data.test;
  probe_split_ = subsample(source, data.sample_size(), run.extract.max_samples, kSubsampleSeed);
  if (comm_rank(comm) == 0)
    say_if_short("extract.max_samples", run.extract.max_samples, run.extract.split.c_str(), source.size());
  probe_t_ = to_tensors(probe_split_, data.sample_shape, device);
  test_t_ = to_tensors(data.test, data.sample_shape, device);
  rows_ = shard_range(probe_split_.size(), comm_rank(comm), comm_size(comm));
}

void ProbeOutput::open(ProbedModel& model) {
  // The others would otherwise wait for rank 0 in the writer's collectives.
  collective(comm_, [&] {
    if (comm_rank(comm_) == 0) fs::create_directories(files_.dir());
  });
  const std::int64_t first = rows_.first, n = rows_.second - rows_.first;
  writer_ = std::make_unique<ActivationWriter>(files_.activations(), comm_, activation_meta(run_, data_, facts_),
                                               probe_split_.size());
  writer_->write_labels(first, n, probe_split_.fine.data() + first, probe_split_.coarse.data() + first,
                        probe_split_.index.data() + first);
  logits_ = store_epoch(*writer_, model, probe_t_.x, rows_, run_.extract, 0);
  // A frozen network's head is untrained: its predictions would mean nothing.
  if (!facts_.frozen) write_predictions(logits_, 0);
}

void ProbeOutput::store(ProbedModel& model, int epoch) {
  write_predictions(store_epoch(*writer_, model, probe_t_.x, rows_, run_.extract, epoch), epoch);
}

// The network's superclass of each probe row after `epoch` (fine networks:
// the most likely fine class the hierarchy uses, mapped up), for e2e accuracy.
void ProbeOutput::write_predictions(const torch::Tensor& logits, int epoch) {
  auto predicted = label_map_.to_coarse.to(torch::kCPU)
                       .index_select(0, predict_classes(label_map_, logits).to(torch::kCPU))
                       .to(torch::kInt32)
                       .contiguous();
  writer_->write_predicted_coarse(rows_.first, rows_.second - rows_.first, predicted.data_ptr<std::int32_t>(), epoch);
}

TestAccuracy ProbeOutput::finish_last(ProbedModel& model, double final_train_loss, double train_seconds) {
  const double nan = std::nan("");
  TestAccuracy acc{nan, nan};
  if (!facts_.frozen) {
    acc = sharded_test_accuracy(model, test_t_.x, test_t_.coarse, test_t_.fine, label_map_, comm_);
    if (facts_.epochs > 0) logits_ = store_epoch(*writer_, model, probe_t_.x, rows_, run_.extract, facts_.epochs);
    if (facts_.epochs > 0) write_predictions(logits_, facts_.epochs);
    write_predictions(logits_, -1);
    writer_->set_number_attr("coarse_test_accuracy", acc.coarse);
    if (label_map_.fine) writer_->set_number_attr("fine_test_accuracy", acc.fine);
  }
  writer_->set_number_attr("final_train_loss", final_train_loss);
  writer_->set_number_attr("ranks", comm_size(comm_));
  // The cost model's calibration for `status` (the invocation that completed the training).
  writer_->set_number_attr("train_seconds", train_seconds);
  return acc;
}

}  // namespace cp::detail

#include "evaluate.hpp"

#include <cmath>
#include <limits>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/train/data_parallel.hpp"
#include "clusterprobe/train/extract.hpp"

namespace cp {

LabelMap make_label_map(const Hierarchy& h, bool fine, const torch::Device& device) {
  LabelMap map;
  map.fine = fine;
  map.classes = fine ? h.num_fine() : h.num_coarse();
  std::vector<std::int64_t> to_coarse(static_cast<std::size_t>(map.classes), 0);
  std::vector<std::uint8_t> allowed(static_cast<std::size_t>(map.classes), 1);
  if (fine) {
    for (std::size_t f = 0; f < to_coarse.size(); ++f) {
      const int c = f < h.fine_to_coarse.size() ? h.fine_to_coarse[f] : -1;
      to_coarse[f] = c < 0 ? 0 : c;
      allowed[f] = c >= 0;
    }
  } else {
    for (std::size_t c = 0; c < to_coarse.size(); ++c) to_coarse[c] = static_cast<std::int64_t>(c);
  }
  map.to_coarse = torch::tensor(to_coarse, torch::kInt64).to(device);
  map.allowed = torch::tensor(std::vector<std::int64_t>(allowed.begin(), allowed.end()), torch::kInt64)
                    .to(device, torch::kBool);
  return map;
}

torch::Tensor predict_classes(const LabelMap& map, const torch::Tensor& logits) {
  if (!map.fine) return logits.argmax(1);
  const auto allowed = map.allowed.to(logits.device());
  return logits.masked_fill(allowed.logical_not().unsqueeze(0), -std::numeric_limits<float>::infinity())
      .argmax(1);
}

TestAccuracy sharded_test_accuracy(ProbedModel& model, const torch::Tensor& x,
                                   const torch::Tensor& coarse, const torch::Tensor& fine,
                                   const LabelMap& map, MPI_Comm comm) {
  const auto rows = shard_range(x.size(0), comm_rank(comm), comm_size(comm));
  std::int64_t counts[3] = {0, 0, rows.second - rows.first};  // coarse correct, fine correct, rows
  {
    torch::NoGradGuard no_grad;
    const bool was_training = model->is_training();
    model->eval();
    const auto to_coarse = map.to_coarse.to(x.device());
    constexpr std::int64_t kBatch = 1024;
    for (std::int64_t start = rows.first; start < rows.second; start += kBatch) {
      const auto end = std::min(start + kBatch, rows.second);
      const auto pred = predict_classes(map, model->forward(x.slice(0, start, end)));
      counts[0] += to_coarse.index_select(0, pred).eq(coarse.slice(0, start, end)).sum().item<std::int64_t>();
      if (map.fine) counts[1] += pred.eq(fine.slice(0, start, end)).sum().item<std::int64_t>();
    }
    model->train(was_training);
  }
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, counts, 3, MPI_INT64_T, MPI_SUM, comm),
            "train_run: MPI_Allreduce(accuracy)");
  const double n = static_cast<double>(counts[2]);
  TestAccuracy acc;
  acc.coarse = n > 0 ? static_cast<double>(counts[0]) / n : 0.0;
  acc.fine = !map.fine ? std::nan("") : n > 0 ? static_cast<double>(counts[1]) / n : 0.0;
  return acc;
}

torch::Tensor store_epoch(ActivationWriter& writer, ProbedModel& model, const torch::Tensor& probe_x,
                          std::pair<std::int64_t, std::int64_t> rows, const ExtractConfig& extract,
                          int epoch) {
  const std::int64_t n = rows.second - rows.first;
  // A rank without rows still needs the names and widths every rank writes:
  // it extracts one row and writes none.
  const auto x = n > 0 ? probe_x.slice(0, rows.first, rows.second) : probe_x.slice(0, 0, 1);
  auto acts = extract_probes(model, x, extract.layers, extract.spatial);
  for (const auto& name : acts.names) {
    if (epoch > 0 && name == "input") continue;  // the raw input does not change with training
    const auto& v = acts.values.at(name);
    writer.write_layer(epoch, name, v.size(1), rows.first, n, v.data_ptr<float>());
  }
  return n > 0 ? acts.logits : acts.logits.slice(0, 0, 0);
}

}  // namespace cp

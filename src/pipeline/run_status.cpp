#include "run_status.hpp"

#include <cmath>
#include <filesystem>

#include "clusterprobe/common/fields.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/pipeline/stages.hpp"

namespace cp {

namespace fs = std::filesystem;

std::string encode(const std::map<std::size_t, RunStatus>& statuses) {
  std::string out;
  for (const auto& [i, s] : statuses) {
    put_field(out, static_cast<std::int64_t>(i));
    put_field(out, phase_name(s.status));
    put_field(out, s.message);
    put_field(out, s.coarse_test_accuracy);
    put_field(out, s.fine_test_accuracy);
  }
  return out;
}

void decode(const std::string& bytes, std::vector<RunStatus>& runs) {
  FieldReader in(bytes);
  while (!in.done()) {
    auto& r = runs.at(static_cast<std::size_t>(in.integer()));
    r.status = parse_phase(in.text()).value_or(RunPhase::failed);
    r.message = in.text();
    r.coarse_test_accuracy = in.number();
    r.fine_test_accuracy = in.number();
  }
}

RunStatus base_status(const StudyConfig& study, const RunSpec& r) {
  RunStatus s;
  s.id = r.id;
  s.dataset = r.dataset;
  s.architecture = r.architecture;
  s.normalization = r.normalization;
  s.pretraining = r.pretraining;
  s.seed = r.seed;
  s.labels = r.labels;
  s.pretrained_from = r.parent_id;
  s.status = RunPhase::pending;
  s.file = fs::relative(OutputLayout(study.output).run(r.id).activations(), study.output).string();
  s.coarse_test_accuracy = std::nan("");
  s.fine_test_accuracy = std::nan("");
  return s;
}

}  // namespace cp

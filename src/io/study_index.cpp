// <out>/study.h5: column datasets under /runs (one pandas DataFrame line) and
// external links under /files so h5py can walk every run from one file.
#include "clusterprobe/io/study_index.hpp"

#include <cmath>
#include <cstdio>
#include <set>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/common/csv.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/name_table.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "h5_util.hpp"

namespace cp {
namespace {

template <class Field>
std::vector<std::string> column(const std::vector<RunStatus>& runs, Field field) {
  std::vector<std::string> out;
  out.reserve(runs.size());
  for (const auto& r : runs) out.push_back(r.*field);
  return out;
}

// %.17g round-trips every double; NaN (unknown) is an empty cell for pandas.
std::string number(double v) {
  if (std::isnan(v)) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

}  // namespace

namespace {

const std::vector<std::string>& phase_names() {
  static const std::vector<std::string> names{"pending", "running", "complete", "failed"};
  return names;
}

}  // namespace

const std::string& phase_name(RunPhase phase) { return name_in(phase_names(), phase); }
std::optional<RunPhase> parse_phase(const std::string& name) { return parse_name<RunPhase>(phase_names(), name); }

void write_runs_csv(const std::string& path, const std::vector<RunStatus>& runs) {
  std::string text =
      "run_id,dataset,architecture,normalization,pretraining,labels,seed,status,coarse_test_accuracy,"
      "fine_test_accuracy,pretrained_from,file,message\n";
  for (const auto& r : runs) {
    for (const std::string* f : {&r.id, &r.dataset, &r.architecture, &r.normalization, &r.pretraining, &r.labels})
      text += csv_field(*f) + ",";
    text += std::to_string(r.seed) + "," + csv_field(phase_name(r.status)) + "," + number(r.coarse_test_accuracy) + "," +
            number(r.fine_test_accuracy) + "," + csv_field(r.pretrained_from) + "," + csv_field(r.file) + "," +
            csv_field(r.message) + "\n";
  }
  write_file_atomically(path, text);
}

void write_study_index(const std::string& path, const std::vector<RunStatus>& runs,
                       const std::string& study_name, const std::string& config_yaml) {
  std::set<std::string> ids;
  for (const auto& r : runs) {
    // Ids become link names under /files: HDF5 would read '/' as a path.
    if (r.id.empty() || r.id == "." || r.id.find('/') != std::string::npos)
      throw InternalError(path + ": invalid run id '" + r.id + "'");
    if (!ids.insert(r.id).second) throw InternalError(path + ": duplicate run id '" + r.id + "'");
  }
  h5::write_atomically(path, [&](const h5::Ctx& ctx, hid_t file) {
    h5::write_attr(ctx, file, "/", "study", study_name);
    h5::write_attr(ctx, file, "/", "config", config_yaml);
    h5::write_attr(ctx, file, "/", "version", std::string(CLUSTERPROBE_VERSION));
    h5::write_strings(ctx, file, "/runs/id", column(runs, &RunStatus::id));
    h5::write_strings(ctx, file, "/runs/dataset", column(runs, &RunStatus::dataset));
    h5::write_strings(ctx, file, "/runs/architecture", column(runs, &RunStatus::architecture));
    h5::write_strings(ctx, file, "/runs/normalization", column(runs, &RunStatus::normalization));
    h5::write_strings(ctx, file, "/runs/pretraining", column(runs, &RunStatus::pretraining));
    std::vector<std::string> phases;
    for (const auto& r : runs) phases.push_back(phase_name(r.status));
    h5::write_strings(ctx, file, "/runs/status", phases);
    h5::write_strings(ctx, file, "/runs/message", column(runs, &RunStatus::message));
    h5::write_strings(ctx, file, "/runs/file", column(runs, &RunStatus::file));
    h5::write_strings(ctx, file, "/runs/labels", column(runs, &RunStatus::labels));
    h5::write_strings(ctx, file, "/runs/pretrained_from", column(runs, &RunStatus::pretrained_from));
    std::vector<std::int32_t> seeds;
    std::vector<double> accuracy, fine_accuracy;
    for (const auto& r : runs) {
      seeds.push_back(r.seed);
      accuracy.push_back(r.coarse_test_accuracy);
      fine_accuracy.push_back(r.fine_test_accuracy);
    }
    h5::write_vector(ctx, file, "/runs/fine_test_accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                     fine_accuracy.data(), fine_accuracy.size());
    h5::write_vector(ctx, file, "/runs/seed", H5T_STD_I32LE, H5T_NATIVE_INT32, seeds.data(),
                     seeds.size());
    h5::write_vector(ctx, file, "/runs/coarse_test_accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                     accuracy.data(), accuracy.size());
    h5::Id files = h5::require_group(ctx, file, "/files");
    for (const auto& r : runs) {
      if (r.status != RunPhase::complete || r.file.empty()) continue;
      // Relative targets resolve against study.h5's own directory, so the
      // study folder can be moved or copied as a whole.
      const std::string link = "/files/" + r.id;
      ctx.ok(H5Lcreate_external(r.file.c_str(), "/", files, r.id.c_str(), H5P_DEFAULT, H5P_DEFAULT),
             link, "H5Lcreate_external");
    }
  });
}

std::string read_study_config(const std::string& path) {
  const h5::Ctx ctx(path, h5::Blame::input);
  h5::require_file(ctx);
  h5::Id file = h5::open_file_readonly(ctx);
  const auto config = h5::read_attr(ctx, file, "/", "config");
  if (!config || !config->text) ctx.fail("/", "no 'config' attribute (the study's resolved configuration)");
  return *config->text;
}

std::string read_study_name(const std::string& path) noexcept {
  try {
    const h5::Ctx ctx(path, h5::Blame::input);
    h5::require_file(ctx);
    h5::Id file = h5::open_file_readonly(ctx);
    const auto name = h5::read_attr(ctx, file, "/", "study");
    return name && name->text ? *name->text : std::string();
  } catch (const std::exception&) {
    return {};
  }
}

std::vector<RunStatus> read_study_index(const std::string& path) {
  const h5::Ctx ctx(path, h5::Blame::input);
  h5::require_file(ctx);
  h5::Id file = h5::open_file_readonly(ctx);
  auto strings = [&](const std::string& name) {
    const std::string obj = "/runs/" + name;
    if (!h5::exists(ctx, file, obj)) ctx.fail(obj, "missing");
    return h5::read_strings(ctx, file, obj);
  };
  auto numbers = [&](const std::string& name) {
    const std::string obj = "/runs/" + name;
    if (!h5::exists(ctx, file, obj)) ctx.fail(obj, "missing");
    return h5::read_doubles(ctx, file, obj);
  };
  const auto id = strings("id"), dataset = strings("dataset"), arch = strings("architecture"),
             norm = strings("normalization"), pre = strings("pretraining"),
             status = strings("status"), message = strings("message"), rel = strings("file");
  const auto seed = numbers("seed"), accuracy = numbers("coarse_test_accuracy");
  const size_t n = id.size();
  const std::pair<const char*, size_t> sizes[] = {
      {"dataset", dataset.size()}, {"architecture", arch.size()}, {"normalization", norm.size()},
      {"pretraining", pre.size()}, {"status", status.size()},     {"message", message.size()},
      {"file", rel.size()},        {"seed", seed.size()},         {"coarse_test_accuracy", accuracy.size()}};
  for (const auto& [name, size] : sizes)
    if (size != n)
      ctx.fail(std::string("/runs/") + name,
               "rows " + std::to_string(size) + " != runs " + std::to_string(n));

  std::vector<RunStatus> runs(n);
  for (size_t i = 0; i < n; ++i) {
    RunStatus& r = runs[i];
    r.id = id[i];
    r.dataset = dataset[i];
    r.architecture = arch[i];
    r.normalization = norm[i];
    r.pretraining = pre[i];
    r.seed = static_cast<int>(seed[i]);
    const auto phase = parse_phase(status[i]);
    if (!phase) ctx.fail("/runs/status", "unknown run status '" + status[i] + "'");
    r.status = *phase;
    r.message = message[i];
    r.file = rel[i];
    r.coarse_test_accuracy = accuracy[i];
  }
  // Columns added later: files written before them read with the defaults.
  auto optional_strings = [&](const char* name, std::string RunStatus::*field) {
    const std::string obj = std::string("/runs/") + name;
    if (!h5::exists(ctx, file, obj)) return;
    const auto v = h5::read_strings(ctx, file, obj);
    if (v.size() != n) ctx.fail(obj, "rows " + std::to_string(v.size()) + " != runs " + std::to_string(n));
    for (size_t i = 0; i < n; ++i) runs[i].*field = v[i];
  };
  optional_strings("labels", &RunStatus::labels);
  optional_strings("pretrained_from", &RunStatus::pretrained_from);
  if (h5::exists(ctx, file, "/runs/fine_test_accuracy")) {
    const auto v = h5::read_doubles(ctx, file, "/runs/fine_test_accuracy");
    if (v.size() != n) ctx.fail("/runs/fine_test_accuracy", "rows != runs");
    for (size_t i = 0; i < n; ++i) runs[i].fine_test_accuracy = v[i];
  }
  return runs;
}

}  // namespace cp

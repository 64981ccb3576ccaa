#include <filesystem>
#include <fstream>
#include <ostream>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/metrics_store.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/report/report.hpp"

namespace cp {

namespace fs = std::filesystem;

void report_stage(const std::string& out_dir, MPI_Comm world, std::ostream& out) {
  std::string error;
  if (comm_rank(world) == 0) {
    try {
      const auto metrics_path = fs::path(out_dir) / "metrics.h5";
      if (!fs::exists(metrics_path)) {
        throw InputError(metrics_path.string() + ": missing: run the cluster stage first");
      }
      std::vector<RunStatus> runs;
      if (const auto index = fs::path(out_dir) / "study.h5"; fs::exists(index)) runs = read_study_index(index.string());
      const auto report = render_report(read_metrics(metrics_path.string()), runs);
      out << report.terminal << std::flush;
      const auto md = fs::path(out_dir) / "report.md";
      std::ofstream(md.string() + ".tmp") << report.markdown;
      fs::rename(md.string() + ".tmp", md);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (auto first = first_error(error, world); !first.empty()) throw InputError(first);
}

}  // namespace cp

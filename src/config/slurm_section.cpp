// The slurm: section: resources of the train job and of the cluster + report
// job, and how the train job survives its time limit (slurm/README.md).
#include "slurm_section.hpp"

#include <algorithm>
#include <cctype>

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace detail {
namespace {

using yamlr::IntRange;
using yamlr::ListRule;
using yamlr::Map;

// Options the generated scripts set themselves: a second value would fight them.
const std::vector<std::string> kManagedOptions{
    "--array", "-a", "--dependency", "-d", "--output", "-o", "--error", "-e", "--signal",
    "--requeue", "--no-requeue", "--open-mode", "--parsable", "--hold", "-H", "--wait", "-W",
    "--job-name", "-J", "--chdir", "-D", "--export", "--no-kill", "-k"};

// Partition, account and qos names reach #SBATCH lines, which no shell quotes.
void get_name(const Map& m, const std::string& key, std::string& out) {
  m.get(key, out);
  const bool ok = std::all_of(out.begin(), out.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == ',' || c == '+' || c == ':';
  });
  if (!ok) m.fail(key, "'" + out + "' is not a Slurm name (letters, digits, _ - . , + :)");
}

void get_time(const Map& m, const std::string& key, std::string& out, bool empty_ok) {
  m.get(key, out);
  if (out.empty() && empty_ok) return;
  if (slurm_time_seconds(out) <= 0)
    m.fail(key, "'" + out + "' is not a Slurm time limit (minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S, > 0)");
}

void read_resources(const Map& m, SlurmResources& r, bool as_train_ok) {
  const std::int64_t least = as_train_ok ? 0 : 1;
  m.get("nodes", r.nodes, IntRange::at_least(1));
  m.get("ranks_per_node", r.ranks_per_node, IntRange::at_least(least));
  m.get("gpus_per_node", r.gpus_per_node, IntRange::at_least(0));
  m.get("cpus_per_rank", r.cpus_per_rank, IntRange::at_least(least));
  get_time(m, "time", r.time, as_train_ok);
  get_name(m, "partition", r.partition);
}

void check_sbatch_options(const Map& m, const std::vector<std::string>& options,
                          const std::vector<YAML::Node>& nodes) {
  for (std::size_t i = 0; i < options.size(); ++i) {
    const std::string& o = options[i];
    if (o.empty() || o[0] != '-' || o.find_first_of("\n\r") != std::string::npos)
      m.fail_item("sbatch", nodes[i], "expected one sbatch option such as --mem=64G, got '" + o + "'");
    const std::string name = o.substr(0, o.find('='));
    if (std::find(kManagedOptions.begin(), kManagedOptions.end(), name) != kManagedOptions.end())
      m.fail_item("sbatch", nodes[i], name + " is set by clusterprobe slurm itself (see slurm/README.md)");
  }
}

void emit_resources(YAML::Emitter& out, const SlurmResources& r) {
  out << YAML::Key << "nodes" << YAML::Value << r.nodes;
  out << YAML::Key << "ranks_per_node" << YAML::Value << r.ranks_per_node;
  out << YAML::Key << "gpus_per_node" << YAML::Value << r.gpus_per_node;
  out << YAML::Key << "cpus_per_rank" << YAML::Value << r.cpus_per_rank;
  out << YAML::Key << "time" << YAML::Value << YAML::DoubleQuoted << r.time;
  out << YAML::Key << "partition" << YAML::Value << YAML::DoubleQuoted << r.partition;
}

}  // namespace

void read_slurm(const Map& top, SlurmConfig& s) {
  const Map m = top.map("slurm", {"nodes", "ranks_per_node", "gpus_per_node", "cpus_per_rank", "time",
                                  "partition", "account", "qos", "sbatch", "launcher", "margin",
                                  "max_requeues", "requeue", "array", "lease", "cluster"});
  read_resources(m, s.train, false);
  read_resources(m.map("cluster", {"nodes", "ranks_per_node", "gpus_per_node", "cpus_per_rank", "time",
                                   "partition"}),
                 s.cluster, true);
  get_name(m, "account", s.account);
  get_name(m, "qos", s.qos);
  std::vector<YAML::Node> nodes;
  m.get_list("sbatch", s.sbatch, ListRule{true, true}, &nodes);
  check_sbatch_options(m, s.sbatch, nodes);
  m.get_choice("launcher", s.launcher, {"srun", "mpirun"});
  m.get("margin", s.margin, IntRange::at_least(0));
  m.get("max_requeues", s.max_requeues, IntRange::at_least(0));
  m.get("requeue", s.requeue);
  m.get("array", s.array, IntRange::at_least(0, 100000));
  m.get("lease", s.lease, IntRange::at_least(5));
  if (s.margin >= slurm_time_seconds(s.train.time))
    m.fail("margin", std::to_string(s.margin) + " s leaves no time in the train job's limit (slurm.time: " +
                         s.train.time + ")");
}

void emit_slurm(YAML::Emitter& out, const SlurmConfig& s) {
  out << YAML::Key << "slurm" << YAML::Value << YAML::BeginMap;
  emit_resources(out, s.train);
  out << YAML::Key << "account" << YAML::Value << YAML::DoubleQuoted << s.account;
  out << YAML::Key << "qos" << YAML::Value << YAML::DoubleQuoted << s.qos;
  out << YAML::Key << "sbatch" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& o : s.sbatch) out << YAML::DoubleQuoted << o;
  out << YAML::EndSeq;
  out << YAML::Key << "launcher" << YAML::Value << s.launcher;
  out << YAML::Key << "margin" << YAML::Value << s.margin;
  out << YAML::Key << "max_requeues" << YAML::Value << s.max_requeues;
  out << YAML::Key << "requeue" << YAML::Value << s.requeue;
  out << YAML::Key << "array" << YAML::Value << s.array;
  out << YAML::Key << "lease" << YAML::Value << s.lease;
  out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  emit_resources(out, s.cluster);
  out << YAML::EndMap << YAML::EndMap;
}

}  // namespace detail

std::string yaml_quoted(const std::string& text) {
  YAML::Emitter out;
  out << YAML::DoubleQuoted << text;
  return out.c_str();
}

}  // namespace cp

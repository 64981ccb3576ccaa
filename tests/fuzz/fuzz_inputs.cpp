// The fuzz test: seeded mutations of every kind of input, each
// case run in a forked child under a memory and time limit, so a crash, a
// hang or a header-sized allocation shows as the case's outcome. Asserted for
// each case: it succeeds or fails with a documented kind (config, input,
// never internal), no signal, no hang, and the message names the input.
// A sample of the activation files also goes through the real CLI
// (`clusterprobe analyze`), which must leave no output looking complete.
//
//   fuzz_inputs [--cases N] [--seed S] [--only K]   (K: case number, to replay one)
// Besides the N seeded cases: non-regular files at every input path, and
// hierarchies whose names do not match the dataset's.
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>

#include "clusterprobe/probe/probe.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/config/study.hpp"
#include "clusterprobe/plan/plan.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/data/idx.hpp"
#include "clusterprobe/io/activations.hpp"
#include "inputs.hpp"

namespace {

using fuzz::Rng;
namespace fs = std::filesystem;

const char* const kStudy =
    "study: fuzz\n"
    "output: /tmp/fuzz-out\n"
    "grid:\n"
    "  dataset: [synthetic/gmm, fmnist/pairs-similar]\n"
    "  architecture: [mlp, cnn]\n"
    "  normalization: [batch, none]\n"
    "  pretraining: [none]\n"
    "  seed: [0, 1]\n"
    "train: {epochs: 2, batch_size: 32, lr: 0.05, labels: coarse}\n"
    "extract: {split: test, layers: all, epochs: [1, last], max_samples: 100}\n"
    "cluster: {methods: [kmeans], preprocess: [l2], restarts: 2}\n"
    "metrics: [ami, accuracy, nc1]\n"
    "parallel: {ranks_per_run: 1, backend: auto}\n"
    "data:\n"
    "  synthetic: {coarse: 2, fine: 2, dim: 8}\n";

const std::vector<std::string> kKeys = {
    "train.epochs", "train.batch_size", "train.lr", "train.momentum", "train.labels", "train.augment",
    "train.finetune", "grid.seed", "grid.dataset", "grid.architecture", "grid.normalization",
    "grid.pretraining", "extract.layers", "extract.epochs", "extract.max_samples", "cluster.preprocess",
    "cluster.methods", "cluster.restarts", "metrics", "parallel.ranks_per_run", "parallel.max_hours",
    "data.synthetic.dim", "data.hierarchy_dir", "study", "output", "train", "", "train..lr",
    "train.epochs.x", "bogus.key", "cluster.ssc_alpha", "data.fmnist_dir"};

// What a case does in the child, and the text its failure message must contain.
struct Case {
  std::string kind;
  std::function<void()> action;
  std::string names;
  std::string expect = {};  ///< the one outcome allowed ("input", "config"); empty: any documented
};

struct Outcome {
  std::string what;  // ok, config, input, io, internal, signal, hang
  std::string message;
};

Outcome run_isolated(const Case& c) {
  int pipe_fd[2];
  if (pipe(pipe_fd) != 0) return {"internal", "pipe failed"};
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fd[0]);
    alarm(20);
    // A header must not decide a huge allocation: 2 GiB above what is mapped now.
    rlimit limit{};
    getrlimit(RLIMIT_AS, &limit);
    long pages = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
      std::fclose(f);
    }
    limit.rlim_cur = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGE_SIZE)) + (rlim_t{2} << 30);
    setrlimit(RLIMIT_AS, &limit);
    std::string result = "ok";
    try {
      c.action();
    } catch (const std::exception& e) {
      const cp::ErrorKind kind = cp::kind_of(e);
      result = (kind == cp::ErrorKind::config ? "config" : kind == cp::ErrorKind::input ? "input"
                : kind == cp::ErrorKind::io   ? "io"     : "internal");
      result += "\n" + cp::message_of(e);
    }
    if (write(pipe_fd[1], result.data(), result.size()) < 0) _exit(99);
    _exit(0);
  }
  close(pipe_fd[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = read(pipe_fd[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  close(pipe_fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    return {WTERMSIG(status) == SIGALRM ? "hang" : "signal", std::string("signal ") + strsignal(WTERMSIG(status))};
  const auto nl = got.find('\n');
  return {got.substr(0, nl), nl == std::string::npos ? "" : got.substr(nl + 1)};
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

cp::ClusterParams small_cluster() {
  cp::ClusterParams c;
  c.kmeans.restarts = 2;
  c.kmeans.max_iter = 20;
  return c;
}

// The analyze core, in process: open, then cluster and score every matrix.
void analyze_in_process(const std::string& path) {
  const cp::ActivationFile file(path);
  for (const auto& key : file.layers())
    cp::cluster_probe(file, key, "fuzz", small_cluster(), {cp::Measure::ami, cp::Measure::ari, cp::Measure::accuracy, cp::Measure::nc1});
}

fuzz::H5Spec random_h5(Rng& r) {
  fuzz::H5Spec s;
  switch (r.pick(16)) {
    case 0: s.layer_type = r.coin() ? H5T_NATIVE_INT32 : H5T_NATIVE_DOUBLE; break;
    case 1: s.layer_rank = r.coin() ? 1 : 3; break;
    case 2: s.layer_rows = r.pick(3) * 30; break;
    case 3: s.nan = true; break;
    case 4: s.inf = true; break;
    case 5: s.huge_chunked = true; break;
    case 6: s.no_fine = r.coin(); s.no_coarse = !s.no_fine; break;
    case 7: s.label_shift = r.coin() ? -5 : 1 << 20; break;
    case 8: s.rows = r.pick(3); s.layer_rows = -1; break;
    case 9: s.one_class = true; break;
    case 10: s.float_labels = true; break;
    case 11: s.layer_name = r.coin() ? "tab\tname" : "new\nline"; break;
    case 12: s.group_name = r.coin() ? "epoch_abc" : "epoch_99999999999"; break;
    case 13: s.dim = r.coin() ? 1 : 0; break;
    default: break;  // valid; damaged at the byte level below
  }
  return s;
}

// Each input path kind with a FIFO, a device (/dev/zero, through a symlink of
// the input's name) and a directory in place of the file: refused at once
// with the kind's error naming the file, never a hang or an endless read.
void add_non_regular_cases(std::vector<Case>& cases, const fs::path& dir) {
  const auto plant = [](const fs::path& at, int how) {
    fs::create_directories(at.parent_path());
    if (how == 0) ::mkfifo(at.c_str(), 0644);
    if (how == 1) fs::create_symlink("/dev/zero", at);
    if (how == 2) fs::create_directories(at);
  };
  for (int how = 0; how < 3; ++how) {
    const fs::path here = dir / ("nonregular" + std::to_string(how));
    const fs::path study = here / "study.yaml", idx = here / "images.idx", h5 = here / "acts.h5";
    plant(study, how);
    plant(idx, how);
    plant(h5, how);
    fs::create_directories(here / "cifar");
    for (int f = 0; f < 5; ++f) {
      const std::string name = "data_batch_" + std::to_string(f + 1) + ".bin";
      fuzz::write_file(here / "cifar" / name, fuzz::cifar_bytes(3, f));
    }
    plant(here / "cifar" / "test_batch.bin", how);
    cp::DataConfig cfg;
    cfg.cifar10_dir = (here / "cifar").string();
    cases.push_back({"non-regular", [study] { cp::load_study(study.string()); }, study.string(), "config"});
    cases.push_back({"non-regular", [idx] { cp::read_idx(idx.string()); }, idx.string(), "input"});
    cases.push_back({"non-regular", [cfg] { cp::load_dataset("cifar10/cifar10-pairs", cfg); }, "test_batch.bin", "input"});
    cases.push_back({"non-regular", [h5] { analyze_in_process(h5.string()); }, h5.string(), "input"});
  }
}

// Fashion-MNIST hierarchies whose classes are listed in a random order (the
// same hierarchy: accepted) or hold a name the dataset lacks (another
// dataset's, a mutated one): refused as an input error naming the file.
void add_hierarchy_cases(std::vector<Case>& cases, const fs::path& dir, std::uint64_t seed) {
  const std::vector<std::string> fmnist{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  const std::vector<std::string> strangers{"airplane", "apple", "shirt", "Sneakers", "T-shirt", "n02085620"};
  fs::create_directories(dir / "hierarchies");
  for (int i = 0; i < 24; ++i) {
    Rng r(seed * 7919 + static_cast<std::uint64_t>(i));
    std::vector<std::string> names = fmnist;
    for (int k = 10; k > 1; --k) std::swap(names[static_cast<std::size_t>(k - 1)], names[static_cast<std::size_t>(r.pick(k))]);
    const bool stranger = i % 2 == 1;
    if (stranger) names[static_cast<std::size_t>(r.pick(10))] = r.one_of(strangers);
    const bool listed = r.coin();  // a classes: list, or the BREEDS form (names under the superclasses only)
    std::string text = "name: h" + std::to_string(i) + "\n";
    if (listed) text += "classes: [" + join_names(names) + "]\n";
    text += "superclasses:\n";
    for (std::size_t c = 0; c < 5; ++c)
      text += "  s" + std::to_string(c) + ": [" + names[2 * c] + ", " + names[2 * c + 1] + "]\n";
    const fs::path file = dir / "hierarchies" / ("h" + std::to_string(i) + ".yaml");
    fuzz::write_file(file, text);
    cp::DataConfig cfg;
    cfg.hierarchy_dir = (dir / "hierarchies").string();
    const std::string spec = "fmnist/h" + std::to_string(i);
    cases.push_back({"hierarchy", [spec, cfg] { cp::check_dataset_spec(spec, cfg); }, file.string(),
                     stranger ? "input" : "ok"});
  }
}

std::vector<Case> make_cases(int total, std::uint64_t seed, const fs::path& dir) {
  std::vector<Case> cases;
  const std::string origin = (dir / "fuzz.yaml").string();
  for (int i = 0; i < total; ++i) {
    Rng r(seed * 1000003 + static_cast<std::uint64_t>(i));
    const fs::path here = dir / ("case" + std::to_string(i));
    const int slot = i % 10;
    if (slot < 3) {  // study files
      const std::string text = r.coin() ? fuzz::mutate_yaml(kStudy, r) : fuzz::mutate_bytes(kStudy, r);
      cases.push_back({"study", [text, origin] { cp::make_plan(cp::parse_study(text, origin)); }, origin});
    } else if (slot < 5) {  // overrides
      std::string ov = r.one_of(kKeys) + (r.pick(8) ? "=" : "") + r.one_of(fuzz::kTokens);
      if (r.pick(4) == 0) ov = fuzz::mutate_bytes(ov, r);
      // An override is named as such, or by the study key it broke.
      cases.push_back({"override", [ov, origin] { cp::make_plan(cp::parse_study(kStudy, origin, {ov})); }, "override|" + origin});
    } else if (slot < 7) {  // IDX headers and bodies
      const bool images = r.coin();
      std::string bytes = fuzz::idx_bytes(images ? 3 : 1, 5);
      bytes = r.pick(3) == 0 ? bytes.substr(0, 4) + fuzz::big_endian(static_cast<std::uint32_t>(r.pick(1 << 30)) * 4) +
                                   bytes.substr(8)
                             : fuzz::mutate_bytes(bytes, r, images ? 16 : 8);
      const fs::path file = here.string() + ".idx";
      fuzz::write_file(file, bytes);
      cases.push_back({"idx", [file] { cp::read_idx(file.string()); }, file.string()});
    } else if (slot < 8) {  // CIFAR-10 record files
      fs::create_directories(here);
      const char* files[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                             "data_batch_5.bin", "test_batch.bin"};
      const int victim = r.pick(6);
      for (int f = 0; f < 6; ++f) {
        std::string bytes = fuzz::cifar_bytes(3, f);
        if (f == victim) bytes = fuzz::mutate_bytes(bytes, r, 1);
        if (f != victim || r.pick(8)) fuzz::write_file(here / files[f], bytes);
      }
      cp::DataConfig cfg;
      cfg.cifar10_dir = here.string();
      cases.push_back({"cifar", [cfg] { cp::load_dataset("cifar10/cifar10-pairs", cfg); }, here.string()});
    } else {  // activation files
      const fs::path file = here.string() + ".h5";
      fuzz::write_activations(file, random_h5(r), r);
      if (r.pick(4) == 0) fuzz::write_file(file, fuzz::mutate_bytes(fuzz::read_file(file), r, 0));
      cases.push_back({"hdf5", [file] { analyze_in_process(file.string()); }, file.string()});
    }
  }
  add_non_regular_cases(cases, dir);
  add_hierarchy_cases(cases, dir, seed);
  return cases;
}

// Whether `message` contains one of the '|'-separated `names`.
bool names_one_of(const std::string& message, const std::string& names) {
  std::istringstream in(names);
  for (std::string name; std::getline(in, name, '|');)
    if (message.find(name) != std::string::npos) return true;
  return false;
}

// The real CLI on an activations file: a documented code, no signal or hang,
// and no output that looks complete unless it succeeded.
std::string cli_check(const std::string& bin, const std::string& file) {
  const std::string out = file + "-out";
  const std::string cmd = "timeout 120 " + bin + " analyze '" + file + "' -o '" + out +
                          "' cluster.restarts=1 > '" + out + ".log' 2>&1";
  const int status = std::system(cmd.c_str());
  if (!WIFEXITED(status)) return "killed by a signal";
  const int rc = WEXITSTATUS(status);
  if (rc == 124) return "hung";
  if (rc != 0 && rc != 3 && rc != 5) return "exit code " + std::to_string(rc);
  if (rc == 3 && fs::exists(fs::path(out) / "metrics.h5")) return "metrics.h5 left after a failure";
  if (rc != 3 && !fs::exists(fs::path(out) / "report.md")) return "no report after success";
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  int total = 520, only = -1;
  std::uint64_t seed = 20261130;
  std::string bin;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--cases") total = std::atoi(argv[i + 1]);
    if (flag == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--only") only = std::atoi(argv[i + 1]);
    if (flag == "--cli") bin = argv[i + 1];
  }
  const fs::path dir = fs::temp_directory_path() / ("cp-fuzz-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const auto t0 = std::chrono::steady_clock::now();
  const auto cases = make_cases(total, seed, dir);
  std::map<std::string, std::map<std::string, int>> table;
  int bad = 0, cli_runs = 0;
  for (int i = 0; i < static_cast<int>(cases.size()); ++i) {
    if (only >= 0 && i != only) continue;
    const Case& c = cases[static_cast<std::size_t>(i)];
    const Outcome o = run_isolated(c);
    ++table[c.kind][o.what];
    std::string problem;
    if (o.what == "internal" || o.what == "signal" || o.what == "hang" || o.what.empty())
      problem = "outcome " + (o.what.empty() ? std::string("(nothing reported)") : o.what);
    else if (!c.expect.empty() && o.what != c.expect)
      problem = "outcome " + o.what + ", expected " + c.expect;
    else if (o.what != "ok" && !names_one_of(o.message, c.names))
      problem = "the message does not name '" + c.names + "'";
    if (c.kind == "hdf5" && !bin.empty() && (i / 10) % 3 == 0) {  // a third of the files through the CLI
      ++cli_runs;
      const std::string cli = cli_check(bin, c.names);
      ++table["hdf5 via CLI"][cli.empty() ? "as documented" : "broken"];
      if (!cli.empty()) problem += (problem.empty() ? "" : "; ") + std::string("CLI: ") + cli;
    }
    if (!problem.empty()) {
      ++bad;
      std::cout << "FAIL case " << i << " (" << c.kind << ", replay: --only " << i << "): " << problem
                << "\n  " << o.message << "\n";
    }
  }
  std::cout << "fuzz: " << cases.size() << " cases (seed " << seed << "), " << cli_runs << " also through the CLI, "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  for (const auto& [kind, outcomes] : table) {
    std::cout << "  " << kind << ":";
    for (const auto& [what, n] : outcomes) std::cout << " " << what << " " << n;
    std::cout << "\n";
  }
  fs::remove_all(dir);
  return bad == 0 ? 0 : 1;
}

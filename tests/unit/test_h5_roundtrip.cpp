// HDF5 stores, one process: activations (written through the MPI-IO driver on
// MPI_COMM_SELF), the study index and the metrics store, plus the contract with
// h5py in both directions (Debian's /usr/bin/python3 with python3-h5py).
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/metrics_store.hpp"
#include "clusterprobe/io/study_index.hpp"

namespace fs = std::filesystem;

namespace {

// Unit tests are plain executables, but the MPI-IO driver needs MPI initialised.
class MpiEnv : public ::testing::Environment {
 public:
  void SetUp() override { env_ = std::make_unique<cp::MpiEnvironment>(nullptr, nullptr); }
  void TearDown() override { env_.reset(); }

 private:
  std::unique_ptr<cp::MpiEnvironment> env_;
};
[[maybe_unused]] auto* const g_mpi_env = ::testing::AddGlobalTestEnvironment(new MpiEnv);

constexpr const char* kPython = CP_TEST_PYTHON;  // Debian's /usr/bin/python3 unless CMake names another

class H5Test : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("cp_h5_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& rel) const { return (dir_ / rel).string(); }

  /// Runs a Python script with h5py; skips the test where h5py is not installed.
  std::string python(const std::string& script, const std::string& args = "") {
    if (std::system((std::string(kPython) + " -c 'import h5py' 2>/dev/null").c_str()) != 0) {
      skipped_ = true;
      return {};
    }
    std::ofstream(path("script.py")) << script;
    const std::string out = path("python.out");
    const std::string cmd = std::string(kPython) + " " + path("script.py") + " " + args + " >" +
                            out + " 2>&1";
    const int rc = std::system(cmd.c_str());
    std::stringstream text;
    text << std::ifstream(out).rdbuf();
    EXPECT_EQ(rc, 0) << text.str();
    return text.str();
  }

  fs::path dir_;
  bool skipped_ = false;
};

float value_at(std::int64_t row, std::int64_t col, int epoch) {
  return static_cast<float>(row) * 10.0f + static_cast<float>(col) + 0.25f * epoch;
}

std::vector<float> layer_rows(std::int64_t first, std::int64_t n, std::int64_t dim, int epoch) {
  std::vector<float> v;
  for (std::int64_t r = first; r < first + n; ++r)
    for (std::int64_t c = 0; c < dim; ++c) v.push_back(value_at(r, c, epoch));
  return v;
}

cp::ActivationMeta sample_meta() {
  cp::ActivationMeta meta;
  meta.run_id = "run-ä1";
  meta.config_yaml = "study: x\ngrid:\n  dataset: [fmnist/pairs-similar]\n";
  meta.string_attrs = {{"dataset", "fmnist/pairs-similar"}};
  meta.number_attrs = {{"seed", 3.0}};
  return meta;
}

// Writes 7 rows in two label calls and two epochs, as extraction does in batches.
void write_sample(cp::ActivationWriter& w) {
  const std::vector<std::int32_t> fine{0, 1, 2, 3, 4, 5, 6}, coarse{0, 0, 1, 1, 2, 2, 3};
  const std::vector<std::int64_t> index{10, 11, 12, 13, 14, 15, 16};
  w.write_labels(0, 4, fine.data(), coarse.data(), index.data());
  w.write_labels(4, 3, fine.data() + 4, coarse.data() + 4, index.data() + 4);
  w.write_predicted_coarse(0, 7, coarse.data());
  const std::vector<std::int32_t> early{3, 3, 2, 2, 1, 1, 0};  // epoch 0: another network
  w.write_predicted_coarse(0, 3, early.data(), 0);
  w.write_predicted_coarse(3, 4, early.data() + 3, 0);
  w.write_layer(0, "input", 3, 0, 7, layer_rows(0, 7, 3, 0).data());
  w.write_layer(2, "fc", 5, 0, 2, layer_rows(0, 2, 5, 2).data());
  w.write_layer(2, "fc", 5, 2, 5, layer_rows(2, 5, 5, 2).data());
  w.write_layer(2, "conv1", 2, 0, 7, layer_rows(0, 7, 2, 2).data());
}

TEST_F(H5Test, ActivationsRoundTripThroughMpiIoOnCommSelf) {
  const std::string final_path = path("runs/abc/activations.h5");  // parents do not exist yet
  {
    cp::ActivationWriter w(final_path, MPI_COMM_SELF, sample_meta(), 7);
    write_sample(w);
    w.set_number_attr("coarse_test_accuracy", 0.875);
    w.commit();
  }
  EXPECT_FALSE(fs::exists(final_path + ".tmp"));
  cp::ActivationFile f(final_path);
  EXPECT_TRUE(f.complete());
  EXPECT_EQ(f.rows(), 7);
  EXPECT_EQ(f.fine(), (std::vector<std::int32_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(f.coarse(), (std::vector<std::int32_t>{0, 0, 1, 1, 2, 2, 3}));
  EXPECT_EQ(f.index(), (std::vector<std::int64_t>{10, 11, 12, 13, 14, 15, 16}));
  ASSERT_TRUE(f.predicted_coarse());
  EXPECT_EQ(*f.predicted_coarse(), f.coarse());
  // Per epoch: epoch 0 has its own; epoch 2, the last, falls back to the final one.
  EXPECT_EQ(f.predicted_coarse_at(0), (std::vector<std::int32_t>{3, 3, 2, 2, 1, 1, 0}));
  EXPECT_EQ(f.predicted_coarse_at(2), f.coarse());
  EXPECT_FALSE(f.predicted_coarse_at(1));
  EXPECT_EQ(f.string_attr("run_id"), "run-ä1");
  EXPECT_EQ(f.string_attr("config"), sample_meta().config_yaml);
  EXPECT_EQ(f.string_attr("version"), CLUSTERPROBE_VERSION);
  EXPECT_EQ(f.string_attr("dataset"), "fmnist/pairs-similar");
  EXPECT_EQ(f.string_attr("absent"), "");
  EXPECT_EQ(f.number_attr("seed"), 3.0);
  EXPECT_EQ(f.number_attr("coarse_test_accuracy"), 0.875);
  EXPECT_FALSE(f.number_attr("absent"));

  ASSERT_EQ(f.layers().size(), 3u);  // sorted by epoch, then name
  EXPECT_EQ(f.layers()[0].epoch, 0);
  EXPECT_EQ(f.layers()[1].layer, "conv1");
  EXPECT_EQ(f.layers()[2].layer, "fc");
  for (const cp::LayerKey& key : f.layers()) {
    const cp::RowMatrixXf m = f.read(key);
    ASSERT_EQ(m.rows(), 7);
    ASSERT_EQ(m.cols(), key.dim);
    for (std::int64_t r = 0; r < 7; ++r)
      for (std::int64_t c = 0; c < key.dim; ++c) EXPECT_EQ(m(r, c), value_at(r, c, key.epoch));
  }
  EXPECT_THROW(f.read(cp::LayerKey{9, "fc", 7, 5}), cp::InputError);
}

TEST_F(H5Test, UncommittedWriterLeavesOnlyAnIncompleteTmpFile) {
  const std::string final_path = path("activations.h5");
  {
    cp::ActivationWriter w(final_path, MPI_COMM_SELF, sample_meta(), 7);
    write_sample(w);
  }  // destroyed without commit, as when an exception unwinds the training
  EXPECT_FALSE(fs::exists(final_path));
  ASSERT_TRUE(fs::exists(final_path + ".tmp"));
  cp::ActivationFile tmp(final_path + ".tmp");
  EXPECT_FALSE(tmp.complete());
  EXPECT_EQ(tmp.number_attr("complete"), 0.0);
}

TEST_F(H5Test, WriterRejectsBadCallsAndStaysUsable) {
  const std::string final_path = path("activations.h5");
  cp::ActivationWriter w(final_path, MPI_COMM_SELF, sample_meta(), 7);
  const std::vector<float> rows = layer_rows(0, 7, 3, 1);
  EXPECT_THROW(w.write_layer(1, "fc", 3, 5, 3, rows.data()), cp::InternalError);  // past N
  EXPECT_THROW(w.write_layer(1, "a/b", 3, 0, 7, rows.data()), cp::InternalError);
  EXPECT_THROW(w.write_layer(1, "fc", 3, 0, 7, nullptr), cp::InternalError);
  EXPECT_THROW(w.set_number_attr("complete", 1), cp::InternalError);
  write_sample(w);
  EXPECT_THROW(w.write_layer(2, "fc", 4, 0, 7, rows.data()), cp::InternalError);  // dim changed
  w.commit();
  EXPECT_THROW(w.commit(), cp::InternalError);
  EXPECT_THROW(w.write_layer(1, "fc", 3, 0, 7, rows.data()), cp::InternalError);
  EXPECT_TRUE(cp::ActivationFile(final_path).complete());
}

// A malformed activations file, written with the raw C API.
void write_raw(const std::string& file, bool with_fine, hsize_t fine_rows, hsize_t coarse_rows,
               hsize_t layer_rows, hid_t layer_type = H5T_NATIVE_FLOAT) {
  hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  auto dataset = [&](const char* name, hid_t type, int rank, const hsize_t* dims) {
    hid_t space = H5Screate_simple(rank, dims, nullptr);
    hid_t d = H5Dcreate2(f, name, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<double> zeros(dims[0] * (rank == 2 ? dims[1] : 1) + 1, 0.0);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
    H5Dclose(d);
    H5Sclose(space);
  };
  if (with_fine) dataset("/labels/fine", H5T_STD_I64LE, 1, &fine_rows);
  dataset("/labels/coarse", H5T_STD_I32LE, 1, &coarse_rows);
  const hsize_t layer_dims[2] = {layer_rows, 4};
  if (layer_rows) dataset("/epoch_1/fc", layer_type, 2, layer_dims);
  H5Pclose(lcpl);
  H5Fclose(f);
}

void expect_input_error(const std::string& file, const std::string& fragment) {
  try {
    cp::ActivationFile f(file);
    ADD_FAILURE() << "no error for " << file;
  } catch (const cp::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(file, 0), 0u) << e.what();  // names the file first
  }
}

TEST_F(H5Test, ActivationFileNamesTheMissingOrMalformedObject) {
  write_raw(path("no_fine.h5"), false, 12, 12, 12);
  expect_input_error(path("no_fine.h5"), "/labels/fine: missing");
  write_raw(path("rows.h5"), true, 12, 12, 10);
  expect_input_error(path("rows.h5"), "/epoch_1/fc: 10 rows, but the labels have 12");
  write_raw(path("coarse.h5"), true, 12, 11, 12);
  expect_input_error(path("coarse.h5"), "/labels/fine has 12 rows and /labels/coarse 11");
  write_raw(path("nolayer.h5"), true, 12, 12, 0);
  expect_input_error(path("nolayer.h5"), "missing");
  write_raw(path("intlayer.h5"), true, 12, 12, 12, H5T_STD_I32LE);
  expect_input_error(path("intlayer.h5"), "/epoch_1/fc: expected a 2-D float dataset");
  std::ofstream(path("text.h5")) << "not hdf5\n";
  expect_input_error(path("text.h5"), "H5Fopen failed");
  expect_input_error(path("absent.h5"), "no such file");
}

TEST_F(H5Test, ReadsAFileWrittenByH5py) {
  const std::string file = path("from_h5py.h5");
  python(R"(
import sys, h5py, numpy as np
n, d = 6, 4
with h5py.File(sys.argv[1], "w") as f:
    f["labels/fine"] = np.arange(n, dtype=np.int64) * 2
    f["labels/coarse"] = np.arange(n, dtype=np.int64) // 2
    f["epoch_3/penultimate"] = np.arange(n * d, dtype=np.float64).reshape(n, d) / 8
    f["epoch_10/logits"] = np.ones((n, 2))
    f["notes/anything"] = np.zeros(3)
    f.attrs["run_id"] = "from-h5py-é"
    f.attrs["complete"] = True
    f.attrs["coarse_test_accuracy"] = 0.5
)", file);
  if (skipped_) GTEST_SKIP() << kPython << " has no h5py";
  cp::ActivationFile f(file);
  EXPECT_EQ(f.fine(), (std::vector<std::int32_t>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(f.coarse(), (std::vector<std::int32_t>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(f.index(), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_FALSE(f.predicted_coarse());
  EXPECT_EQ(f.string_attr("run_id"), "from-h5py-é");
  EXPECT_TRUE(f.complete());  // h5py's bool is an HDF5 enum
  EXPECT_EQ(f.number_attr("coarse_test_accuracy"), 0.5);
  ASSERT_EQ(f.layers().size(), 2u);
  EXPECT_EQ(f.layers()[0].epoch, 3);  // numeric, not name, order: 3 before 10
  EXPECT_EQ(f.layers()[1].epoch, 10);
  const cp::RowMatrixXf m = f.read(f.layers()[0]);
  ASSERT_EQ(m.rows(), 6);
  ASSERT_EQ(m.cols(), 4);
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_EQ(m(r, c), static_cast<float>(r * 4 + c) / 8);
}

cp::RunStatus run(std::string id, std::string status, std::string file, double acc) {
  cp::RunStatus r;
  r.id = std::move(id);
  r.dataset = "fmnist/pairs-similar";
  r.architecture = "resnet8";
  r.normalization = "batch";
  r.pretraining = "none";
  r.seed = 2;
  r.message = status == "failed" ? "NaN loss, \"diverged\" at epoch 3 — ü" : "";
  r.status = cp::parse_phase(status).value();
  r.file = std::move(file);
  r.coarse_test_accuracy = acc;
  return r;
}

TEST_F(H5Test, StudyIndexRoundTripAndExternalLinks) {
  const std::string run_file = path("study/runs/a/activations.h5");
  {
    cp::ActivationWriter w(run_file, MPI_COMM_SELF, sample_meta(), 7);
    write_sample(w);
    w.commit();
  }
  const std::vector<cp::RunStatus> runs{
      run("a", "complete", "runs/a/activations.h5", 0.9),
      run("b", "failed", "", std::numeric_limits<double>::quiet_NaN()),
      run("c", "pending", "runs/c/activations.h5", std::numeric_limits<double>::quiet_NaN())};
  const std::string index = path("study/study.h5");
  cp::write_study_index(index, runs, "quickstart", "study: quickstart\n");
  EXPECT_FALSE(fs::exists(index + ".tmp"));
  const std::vector<cp::RunStatus> back = cp::read_study_index(index);
  ASSERT_EQ(back.size(), runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(back[i].id, runs[i].id);
    EXPECT_EQ(back[i].dataset, runs[i].dataset);
    EXPECT_EQ(back[i].architecture, runs[i].architecture);
    EXPECT_EQ(back[i].normalization, runs[i].normalization);
    EXPECT_EQ(back[i].pretraining, runs[i].pretraining);
    EXPECT_EQ(back[i].seed, runs[i].seed);
    EXPECT_EQ(back[i].status, runs[i].status);
    EXPECT_EQ(back[i].message, runs[i].message);
    EXPECT_EQ(back[i].file, runs[i].file);
    EXPECT_EQ(std::isnan(back[i].coarse_test_accuracy), std::isnan(runs[i].coarse_test_accuracy));
  }
  EXPECT_EQ(back[0].coarse_test_accuracy, 0.9);
  EXPECT_THROW(cp::read_study_index(path("study/absent.h5")), cp::InputError);

  // From another working directory: the link resolves against study.h5's folder.
  const std::string out = python(R"(
import os, sys, h5py
os.chdir("/")
with h5py.File(sys.argv[1], "r") as f:
    print(sorted(f["files"].keys()))
    print(list(f["files/a/labels/fine"][:]))
    print(f["runs/id"].asstr()[:].tolist(), f["runs/message"].asstr()[1])
)", index);
  if (skipped_) GTEST_SKIP() << kPython << " has no h5py";
  EXPECT_NE(out.find("['a']"), std::string::npos) << out;
  EXPECT_NE(out.find("[0, 1, 2, 3, 4, 5, 6]"), std::string::npos) << out;
  EXPECT_NE(out.find("['a', 'b', 'c'] " + runs[1].message), std::string::npos) << out;
}

cp::RecordBatch sample_records() {
  cp::RecordBatch b;
  b.metrics.push_back({"run-a", "fc", 5, "0", "kmeans", "ami", 0.1});
  b.metrics.push_back({"run,\"b\"", "layer4.1", 0, "global", "kmeans", "ari", 1.0 / 3});
  b.metrics.push_back({"run-ü", "input", 0, "mean", "kmeans", "nc1", -2.5e-300});
  b.assignments.push_back({"run-a", "fc", 5, "0", "kmeans", {0, 3, 5}, {1, 0, 1}});
  b.assignments.push_back({"run-ü", "input", 0, "global", "kmeans", {}, {}});
  return b;
}

TEST_F(H5Test, MetricsRoundTripCsvAndH5py) {
  const std::string out_dir = path("out");
  cp::write_metrics(out_dir, cp::RecordBatch{}, "old");  // replaced below, atomically
  const cp::RecordBatch batch = sample_records();
  cp::write_metrics(out_dir, batch, "study: x\n");
  EXPECT_FALSE(fs::exists(out_dir + "/metrics.h5.tmp"));
  EXPECT_FALSE(fs::exists(out_dir + "/metrics.csv.tmp"));

  const std::vector<cp::MetricRecord> metrics = cp::read_metrics(out_dir + "/metrics.h5");
  ASSERT_EQ(metrics.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(metrics[i].run_id, batch.metrics[i].run_id);
    EXPECT_EQ(metrics[i].layer, batch.metrics[i].layer);
    EXPECT_EQ(metrics[i].epoch, batch.metrics[i].epoch);
    EXPECT_EQ(metrics[i].scope, batch.metrics[i].scope);
    EXPECT_EQ(metrics[i].method, batch.metrics[i].method);
    EXPECT_EQ(metrics[i].metric, batch.metrics[i].metric);
    EXPECT_EQ(metrics[i].value, batch.metrics[i].value);
  }
  const std::vector<cp::AssignmentRecord> assignments = cp::read_assignments(out_dir + "/metrics.h5");
  ASSERT_EQ(assignments.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(assignments[i].run_id, batch.assignments[i].run_id);
    EXPECT_EQ(assignments[i].layer, batch.assignments[i].layer);
    EXPECT_EQ(assignments[i].epoch, batch.assignments[i].epoch);
    EXPECT_EQ(assignments[i].scope, batch.assignments[i].scope);
    EXPECT_EQ(assignments[i].method, batch.assignments[i].method);
    EXPECT_EQ(assignments[i].rows, batch.assignments[i].rows);
    EXPECT_EQ(assignments[i].labels, batch.assignments[i].labels);
  }

  std::stringstream csv;
  csv << std::ifstream(out_dir + "/metrics.csv").rdbuf();
  EXPECT_EQ(csv.str(),
            "run_id,layer,epoch,scope,method,metric,value\n"
            "run-a,fc,5,0,kmeans,ami,0.10000000000000001\n"
            "\"run,\"\"b\"\"\",layer4.1,0,global,kmeans,ari,0.33333333333333331\n"
            "run-ü,input,0,mean,kmeans,nc1,-2.5e-300\n");

  const std::string out = python(R"(
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    cols = {k: f["/metrics"][k][:] for k in f["/metrics"]}  # the pandas.DataFrame(...) input
    assert len({len(v) for v in cols.values()}) == 1, cols
    assert h5py.check_string_dtype(f["/metrics/run_id"].dtype).encoding == "utf-8"
    print(f["/metrics/run_id"].asstr()[:].tolist(), repr(cols["value"][1]), list(cols["epoch"]))
    a = f["/assignments/000000"]
    print(a.attrs["run_id"], a.attrs["epoch"], list(a[:]), list(f["/assignments/000000_rows"][:]))
    print(f.attrs["config"].strip(), f.attrs["version"])
)", out_dir + "/metrics.h5");
  if (skipped_) GTEST_SKIP() << kPython << " has no h5py";
  EXPECT_NE(out.find("['run-a', 'run,\"b\"', 'run-ü'] 0.3333333333333333 [5, 0, 0]"),
            std::string::npos) << out;
  EXPECT_NE(out.find("run-a 5 [1, 0, 1] [0, 3, 5]"), std::string::npos) << out;
  EXPECT_NE(out.find(std::string("study: x ") + CLUSTERPROBE_VERSION), std::string::npos) << out;
}

}  // namespace

// Boost.Serialization round trips of the records the cluster stage gathers on rank 0.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/record.hpp"

namespace {

cp::MetricRecord metric(std::string run, std::string scope, double value) {
  return cp::MetricRecord{std::move(run), "layer4.1", 7, std::move(scope), "kmeans", "ami", value};
}

cp::RecordBatch sample_batch() {
  cp::RecordBatch b;
  b.metrics.push_back(metric("run-a", "0", 0.25));
  b.metrics.push_back(metric("run-ü,\"quoted\"", "global", -0.0));
  b.metrics.push_back(metric("", "mean", std::numeric_limits<double>::infinity()));
  b.metrics.push_back(metric("run-nan", "1", std::numeric_limits<double>::quiet_NaN()));
  cp::AssignmentRecord a{"run-a", "fc", 3, "0", "kmeans", {}, {}};
  for (std::int64_t i = 0; i < 1000; ++i) {
    a.rows.push_back(i * 3 + (std::int64_t{1} << 40));
    a.labels.push_back(static_cast<std::int32_t>(i % 7) - 1);
  }
  b.assignments.push_back(a);
  b.assignments.push_back(cp::AssignmentRecord{"run-b", "input", 0, "global", "kmeans", {}, {}});
  return b;
}

void expect_same_metric(const cp::MetricRecord& a, const cp::MetricRecord& b) {
  EXPECT_EQ(a.run_id, b.run_id);
  EXPECT_EQ(a.layer, b.layer);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.scope, b.scope);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.metric, b.metric);
  if (std::isnan(a.value)) {
    EXPECT_TRUE(std::isnan(b.value));
  } else {
    EXPECT_EQ(a.value, b.value);
    EXPECT_EQ(std::signbit(a.value), std::signbit(b.value));
  }
}

void expect_same_batch(const cp::RecordBatch& a, const cp::RecordBatch& b) {
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (size_t i = 0; i < a.metrics.size(); ++i) expect_same_metric(a.metrics[i], b.metrics[i]);
  ASSERT_EQ(a.assignments.size(), b.assignments.size());
  for (size_t i = 0; i < a.assignments.size(); ++i) {
    const auto &x = a.assignments[i], &y = b.assignments[i];
    EXPECT_EQ(x.run_id, y.run_id);
    EXPECT_EQ(x.layer, y.layer);
    EXPECT_EQ(x.epoch, y.epoch);
    EXPECT_EQ(x.scope, y.scope);
    EXPECT_EQ(x.method, y.method);
    EXPECT_EQ(x.rows, y.rows);
    EXPECT_EQ(x.labels, y.labels);
  }
}

TEST(Records, RoundTripKeepsEveryField) {
  const cp::RecordBatch batch = sample_batch();
  const std::string bytes = cp::serialize_batch(batch);
  EXPECT_GT(bytes.size(), 1000u * 12);  // the 1000-row assignment is really in there
  expect_same_batch(batch, cp::deserialize_batch(bytes));
}

TEST(Records, EmptyBatchRoundTrips) {
  const cp::RecordBatch back = cp::deserialize_batch(cp::serialize_batch(cp::RecordBatch{}));
  EXPECT_TRUE(back.metrics.empty());
  EXPECT_TRUE(back.assignments.empty());
}

TEST(Records, AppendMovesAllRecordsInOrder) {
  cp::RecordBatch first = sample_batch();
  cp::RecordBatch second;
  second.metrics.push_back(metric("run-c", "2", 0.5));
  second.assignments.push_back(cp::AssignmentRecord{"run-c", "fc", 1, "2", "kmeans", {4}, {1}});
  first.append(std::move(second));
  ASSERT_EQ(first.metrics.size(), 5u);
  ASSERT_EQ(first.assignments.size(), 3u);
  EXPECT_EQ(first.metrics.back().run_id, "run-c");
  EXPECT_EQ(first.assignments.back().rows, std::vector<std::int64_t>{4});
  EXPECT_TRUE(second.metrics.empty());  // NOLINT(bugprone-use-after-move): append leaves it empty
  EXPECT_TRUE(second.assignments.empty());
}

TEST(Records, CorruptOrTruncatedBytesThrowIoError) {
  EXPECT_THROW(cp::deserialize_batch("definitely not an archive"), cp::IoError);
  EXPECT_THROW(cp::deserialize_batch(""), cp::IoError);
  const std::string bytes = cp::serialize_batch(sample_batch());
  EXPECT_THROW(cp::deserialize_batch(bytes.substr(0, bytes.size() / 2)), cp::IoError);
}

}  // namespace

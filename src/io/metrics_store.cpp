// <out>/metrics.h5 (column datasets + assignments) and <out>/metrics.csv, both
// written under tmp names and renamed, so a crash leaves the previous result.
#include "clusterprobe/io/metrics_store.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/common/csv.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "h5_util.hpp"

namespace cp {
namespace {

template <class Record, class Field>
std::vector<std::string> column(const std::vector<Record>& records, Field field) {
  std::vector<std::string> out;
  out.reserve(records.size());
  for (const auto& r : records) out.push_back(r.*field);
  return out;
}

std::string assignment_name(size_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "%06zu", i);
  return name;
}

std::string csv_text(const std::vector<MetricRecord>& records) {
  std::string text = "run_id,layer,epoch,scope,method,metric,value\n";
  char value[64];
  for (const auto& r : records) {
    // %.17g round-trips every double exactly.
    std::snprintf(value, sizeof value, "%.17g", r.value);
    text += csv_field(r.run_id) + ',' + csv_field(r.layer) + ',' + std::to_string(r.epoch) + ',' +
            csv_field(r.scope) + ',' + csv_field(r.method) + ',' + csv_field(r.metric) + ',' +
            value + '\n';
  }
  return text;
}

void write_assignments(const h5::Ctx& ctx, hid_t file, const std::vector<AssignmentRecord>& all) {
  h5::Id group = h5::require_group(ctx, file, "/assignments");
  for (size_t i = 0; i < all.size(); ++i) {
    const AssignmentRecord& a = all[i];
    const std::string obj = "/assignments/" + assignment_name(i);
    h5::write_vector(ctx, file, obj, H5T_STD_I32LE, H5T_NATIVE_INT32, a.labels.data(),
                     a.labels.size());
    h5::write_vector(ctx, file, obj + "_rows", H5T_STD_I64LE, H5T_NATIVE_INT64, a.rows.data(),
                     a.rows.size());
    h5::Id dset = h5::open_dataset(ctx, file, obj);
    h5::write_attr(ctx, dset, obj, "run_id", a.run_id);
    h5::write_attr(ctx, dset, obj, "layer", a.layer);
    h5::write_attr(ctx, dset, obj, "epoch", std::int64_t{a.epoch});
    h5::write_attr(ctx, dset, obj, "scope", a.scope);
    h5::write_attr(ctx, dset, obj, "method", a.method);
  }
}

// /similarity/<run_id>/<name> float64 [rows, cols], with the labels beside it
// as <name>_rows and <name>_cols string datasets (h5py-friendly).
void write_similarities(const h5::Ctx& ctx, hid_t file, const std::vector<SimilarityRecord>& all) {
  for (const auto& s : all) {
    if (s.values.size() != s.rows.size() * s.cols.size()) {
      throw InternalError("similarity " + s.run_id + "/" + s.name + ": " +
                          std::to_string(s.values.size()) + " values for " +
                          std::to_string(s.rows.size()) + "x" + std::to_string(s.cols.size()));
    }
    const std::string obj = "/similarity/" + s.run_id + "/" + s.name;
    h5::write_array(ctx, file, obj, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s.values.data(),
                    {s.rows.size(), s.cols.size()});
    h5::write_strings(ctx, file, obj + "_rows", s.rows);
    h5::write_strings(ctx, file, obj + "_cols", s.cols);
  }
}

// metrics.h5, read as an input: a missing or corrupt file is the user's to fix.
h5::Id open_metrics(const h5::Ctx& ctx) {
  h5::require_file(ctx);
  return h5::open_file_readonly(ctx);
}

// /failures/{run_id, layer, epoch, file, message}: the items that could not be scored.
void write_failures(const h5::Ctx& ctx, hid_t file, const std::vector<FailureRecord>& all) {
  h5::write_strings(ctx, file, "/failures/run_id", column(all, &FailureRecord::run_id));
  h5::write_strings(ctx, file, "/failures/layer", column(all, &FailureRecord::layer));
  h5::write_strings(ctx, file, "/failures/file", column(all, &FailureRecord::file));
  h5::write_strings(ctx, file, "/failures/message", column(all, &FailureRecord::message));
  std::vector<std::int32_t> epochs;
  for (const auto& f : all) epochs.push_back(f.epoch);
  h5::write_vector(ctx, file, "/failures/epoch", H5T_STD_I32LE, H5T_NATIVE_INT32, epochs.data(),
                   epochs.size());
}

}  // namespace

void write_metrics(const std::string& out_dir, const RecordBatch& batch,
                   const std::string& config_yaml) {
  for (const auto& a : batch.assignments)
    if (a.rows.size() != a.labels.size())
      throw InternalError(out_dir + ": assignment of " + a.run_id + "/" + a.layer + " has " +
                          std::to_string(a.rows.size()) + " rows but " +
                          std::to_string(a.labels.size()) + " labels");
  const OutputLayout layout(out_dir);
  const std::string h5_path = layout.metrics_h5(), csv_path = layout.metrics_csv();
  const auto& m = batch.metrics;

  // The two files say the same thing: both are written before either is
  // renamed, so a full disk never leaves a new metrics.h5 beside an old csv.
  ReplaceTogether outputs;
  outputs.stage(h5_path, h5::file_image(h5_path, [&](const h5::Ctx& ctx, hid_t file) {
    h5::write_attr(ctx, file, "/", "config", config_yaml);
    h5::write_attr(ctx, file, "/", "version", std::string(CLUSTERPROBE_VERSION));
    h5::write_strings(ctx, file, "/metrics/run_id", column(m, &MetricRecord::run_id));
    h5::write_strings(ctx, file, "/metrics/layer", column(m, &MetricRecord::layer));
    h5::write_strings(ctx, file, "/metrics/scope", column(m, &MetricRecord::scope));
    h5::write_strings(ctx, file, "/metrics/method", column(m, &MetricRecord::method));
    h5::write_strings(ctx, file, "/metrics/metric", column(m, &MetricRecord::metric));
    std::vector<std::int32_t> epochs;
    std::vector<double> values;
    for (const auto& r : m) {
      epochs.push_back(r.epoch);
      values.push_back(r.value);
    }
    h5::write_vector(ctx, file, "/metrics/epoch", H5T_STD_I32LE, H5T_NATIVE_INT32, epochs.data(),
                     epochs.size());
    h5::write_vector(ctx, file, "/metrics/value", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                     values.data(), values.size());
    write_assignments(ctx, file, batch.assignments);
    write_similarities(ctx, file, batch.similarities);
    write_failures(ctx, file, batch.failures);
    h5::write_strings(ctx, file, "/penultimate/run_id", column(batch.penultimate, &PenultimateRecord::run_id));
    h5::write_strings(ctx, file, "/penultimate/layer", column(batch.penultimate, &PenultimateRecord::layer));
    h5::write_strings(ctx, file, "/sources/run_id", column(batch.sources, &SourceRecord::run_id));
    h5::write_strings(ctx, file, "/sources/trained", column(batch.sources, &SourceRecord::trained));
  }));
  outputs.stage(csv_path, csv_text(m));
  outputs.commit();
}

namespace {

std::vector<SimilarityRecord> read_similarities_in(const h5::Ctx& ctx, hid_t file) {
  std::vector<SimilarityRecord> out;
  if (!h5::exists(ctx, file, "/similarity")) return out;
  for (const std::string& run : h5::link_names(ctx, file, "/similarity")) {
    const std::string group = "/similarity/" + run;
    for (const std::string& name : h5::link_names(ctx, file, group)) {
      const auto suffix = [&](const char* s) {
        const std::string tail(s);
        return name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
      };
      if (suffix("_rows") || suffix("_cols")) continue;  // the labels of a matrix
      SimilarityRecord r;
      r.run_id = run;
      r.name = name;
      r.rows = h5::read_strings(ctx, file, group + "/" + name + "_rows");
      r.cols = h5::read_strings(ctx, file, group + "/" + name + "_cols");
      h5::Id dset = h5::open_dataset(ctx, file, group + "/" + name);
      const h5::Shape shape = h5::shape_of(ctx, dset, group + "/" + name);
      if (shape.dims.size() != 2 || shape.dims[0] != r.rows.size() || shape.dims[1] != r.cols.size())
        ctx.fail(group + "/" + name, "shape does not match its labels");
      h5::check_read_size(ctx, dset, group + "/" + name, shape, sizeof(double));
      r.values.resize(r.rows.size() * r.cols.size());
      h5::read_all(ctx, dset, group + "/" + name, H5T_NATIVE_DOUBLE, r.values.data());
      out.push_back(std::move(r));
    }
  }
  return out;
}

// A per-run table of one string column beside run_id (/penultimate,
// /sources); empty in a file written before the table existed.
template <class Record>
std::vector<Record> read_run_table(const h5::Ctx& ctx, hid_t file, const std::string& group,
                                   const std::string& name) {
  std::vector<Record> out;
  if (!h5::exists(ctx, file, group + "/run_id")) return out;
  const auto run_id = h5::read_strings(ctx, file, group + "/run_id");
  const auto value = h5::read_strings(ctx, file, group + "/" + name);
  if (value.size() != run_id.size()) ctx.fail(group, "columns of different lengths");
  for (std::size_t i = 0; i < run_id.size(); ++i) out.push_back({run_id[i], value[i]});
  return out;
}

std::vector<FailureRecord> read_failures_in(const h5::Ctx& ctx, hid_t file) {
  std::vector<FailureRecord> out;
  if (!h5::exists(ctx, file, "/failures/run_id")) return out;  // written before failures were kept
  const auto run_id = h5::read_strings(ctx, file, "/failures/run_id");
  const auto layer = h5::read_strings(ctx, file, "/failures/layer");
  const auto path = h5::read_strings(ctx, file, "/failures/file");
  const auto message = h5::read_strings(ctx, file, "/failures/message");
  const auto epoch = h5::read_integers(ctx, file, "/failures/epoch");
  for (const auto* column : {&layer, &path, &message})
    if (column->size() != run_id.size()) ctx.fail("/failures", "columns of different lengths");
  if (epoch.size() != run_id.size()) ctx.fail("/failures/epoch", "column of a different length");
  for (std::size_t i = 0; i < run_id.size(); ++i)
    out.push_back({run_id[i], layer[i], static_cast<std::int32_t>(epoch[i]), path[i], message[i]});
  return out;
}

std::vector<MetricRecord> read_metrics_in(const h5::Ctx& ctx, hid_t file) {
  auto strings = [&](const std::string& name) {
    const std::string obj = "/metrics/" + name;
    if (!h5::exists(ctx, file, obj)) ctx.fail(obj, "missing");
    return h5::read_strings(ctx, file, obj);
  };
  const auto run_id = strings("run_id"), layer = strings("layer"), scope = strings("scope"),
             method = strings("method"), metric = strings("metric");
  if (!h5::exists(ctx, file, "/metrics/epoch")) ctx.fail("/metrics/epoch", "missing");
  if (!h5::exists(ctx, file, "/metrics/value")) ctx.fail("/metrics/value", "missing");
  const auto epoch = h5::read_integers(ctx, file, "/metrics/epoch");
  const auto value = h5::read_doubles(ctx, file, "/metrics/value");
  const size_t n = run_id.size();
  const std::pair<const char*, size_t> sizes[] = {
      {"layer", layer.size()},   {"scope", scope.size()}, {"method", method.size()},
      {"metric", metric.size()}, {"epoch", epoch.size()}, {"value", value.size()}};
  for (const auto& [name, size] : sizes)
    if (size != n)
      ctx.fail(std::string("/metrics/") + name,
               "rows " + std::to_string(size) + " != run_id rows " + std::to_string(n));

  std::vector<MetricRecord> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = MetricRecord{run_id[i], layer[i], static_cast<std::int32_t>(epoch[i]), scope[i],
                          method[i], metric[i], value[i]};
  }
  return out;
}

}  // namespace

MetricsTables read_metrics_tables(const std::string& h5_path) {
  const h5::Ctx ctx(h5_path, h5::Blame::input);
  h5::Id file = open_metrics(ctx);
  return {read_metrics_in(ctx, file), read_failures_in(ctx, file),
          read_run_table<PenultimateRecord>(ctx, file, "/penultimate", "layer"), read_similarities_in(ctx, file),
          read_run_table<SourceRecord>(ctx, file, "/sources", "trained")};
}

std::vector<MetricRecord> read_metrics(const std::string& h5_path) {
  const h5::Ctx ctx(h5_path, h5::Blame::input);
  h5::Id file = open_metrics(ctx);
  return read_metrics_in(ctx, file);
}

std::vector<AssignmentRecord> read_assignments(const std::string& h5_path) {
  const h5::Ctx ctx(h5_path, h5::Blame::input);
  h5::Id file = open_metrics(ctx);
  std::vector<AssignmentRecord> out;
  if (!h5::exists(ctx, file, "/assignments")) return out;

  // Numeric order, not name order: past 999999 entries the names grow a digit.
  std::vector<std::pair<long long, std::string>> entries;
  for (const std::string& name : h5::link_names(ctx, file, "/assignments")) {
    if (name.empty() || name.size() > 18 ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;  // the "_rows" companions, or somebody else's additions
    entries.emplace_back(std::stoll(name), name);
  }
  std::sort(entries.begin(), entries.end());

  for (const auto& [number, name] : entries) {
    const std::string obj = "/assignments/" + name;
    const std::string rows_obj = obj + "_rows";
    AssignmentRecord a;
    for (std::int64_t v : h5::read_integers(ctx, file, obj)) {
      if (v < INT32_MIN || v > INT32_MAX) ctx.fail(obj, "cluster id does not fit int32");
      a.labels.push_back(static_cast<std::int32_t>(v));
    }
    if (!h5::exists(ctx, file, rows_obj)) ctx.fail(rows_obj, "missing");
    a.rows = h5::read_integers(ctx, file, rows_obj);
    if (a.rows.size() != a.labels.size())
      ctx.fail(rows_obj, "rows " + std::to_string(a.rows.size()) + " != labels " +
                             std::to_string(a.labels.size()));
    h5::Id dset = h5::open_dataset(ctx, file, obj);
    auto text = [&](const char* attr) {
      const auto v = h5::read_attr(ctx, dset, obj, attr);
      return v && v->text ? *v->text : std::string();
    };
    a.run_id = text("run_id");
    a.layer = text("layer");
    a.scope = text("scope");
    a.method = text("method");
    const auto epoch = h5::read_attr(ctx, dset, obj, "epoch");
    a.epoch = epoch && epoch->number ? static_cast<std::int32_t>(*epoch->number) : 0;
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace cp

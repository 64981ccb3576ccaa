// ActivationFile: serial reader of activations.h5 and of look-alikes written
// by other tools (h5py, PyTorch hooks). Only the schema's required parts are
// required; types are converted (any integer labels, float32/float64 rows),
// and everything is validated up front so the cluster stage never meets a
// half-valid file.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <map>
#include <numeric>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/activations.hpp"
#include "h5_util.hpp"
#include "half.hpp"

namespace cp {
namespace {

std::vector<std::int32_t> narrow_labels(const h5::Ctx& ctx, const std::string& path,
                                        const std::vector<std::int64_t>& wide) {
  std::vector<std::int32_t> out(wide.size());
  for (size_t i = 0; i < wide.size(); ++i) {
    if (wide[i] < 0 && path.rfind("/labels/", 0) == 0 && path != "/labels/predicted_coarse")  // read_prediction says more
      ctx.fail(path, "negative label " + std::to_string(wide[i]) + " at row " + std::to_string(i));
    if (wide[i] < INT32_MIN || wide[i] > INT32_MAX)
      ctx.fail(path, "value " + std::to_string(wide[i]) + " at row " + std::to_string(i) +
                         " does not fit int32");
    out[i] = static_cast<std::int32_t>(wide[i]);
  }
  return out;
}

// "epoch_12" -> 12; nullopt for anything else after the prefix.
std::optional<int> parse_epoch(const std::string& name) {
  const std::string digits = name.substr(6);
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoi(digits);
}

std::string layer_path(int epoch, const std::string& layer) {
  return "/epoch_" + std::to_string(epoch) + "/" + layer;
}

}  // namespace

struct ActivationFile::Impl {
  std::string path;
  h5::Ctx ctx;
  h5::Id file;
  std::vector<std::int32_t> fine, coarse;
  std::vector<std::int64_t> index;
  std::optional<std::vector<std::int32_t>> predicted;
  std::vector<LayerKey> layers;
  std::map<std::string, std::string> text_attrs;
  std::map<std::string, double> number_attrs;

  explicit Impl(const std::string& p) : path(p), ctx(p, h5::Blame::input) {}

  /// Reads an integer label column of N rows (N = -1: this one defines N).
  std::vector<std::int64_t> read_column(const std::string& obj, std::int64_t n) {
    std::vector<std::int64_t> wide = h5::read_integers(ctx, file, obj);
    if (n >= 0 && static_cast<std::int64_t>(wide.size()) != n)
      ctx.fail(obj, std::to_string(wide.size()) + " rows, but the labels have " + std::to_string(n));
    return wide;
  }

  void require(const std::string& obj) {
    if (!h5::exists(ctx, file, obj)) ctx.fail(obj, "missing");
  }

  void read_labels() {
    require("/labels/fine");
    require("/labels/coarse");
    fine = narrow_labels(ctx, "/labels/fine", read_column("/labels/fine", -1));
    const auto n = static_cast<std::int64_t>(fine.size());
    coarse = narrow_labels(ctx, "/labels/coarse", read_column("/labels/coarse", -1));
    // Neither column is the reference: the message names both lengths, not
    // the second one read as if it were the short one.
    if (coarse.size() != fine.size())
      ctx.fail("/labels", "/labels/fine has " + std::to_string(fine.size()) + " rows and /labels/coarse " +
                              std::to_string(coarse.size()) + ": one of each per activation row");
    if (h5::exists(ctx, file, "/labels/index")) {
      index = read_column("/labels/index", n);
    } else {
      index.resize(fine.size());
      std::iota(index.begin(), index.end(), std::int64_t{0});
    }
    check_hierarchy();
    if (h5::exists(ctx, file, "/labels/predicted_coarse")) predicted = read_prediction("/labels/predicted_coarse");
  }

  // Scores are per superclass: a fine class under two coarse labels would be
  // split between them and scored twice, each half as its own class.
  void check_hierarchy() const {
    std::map<std::int32_t, std::pair<std::int32_t, std::size_t>> parent;  // fine -> coarse, first row
    for (std::size_t i = 0; i < fine.size(); ++i) {
      const auto [it, added] = parent.emplace(fine[i], std::make_pair(coarse[i], i));
      if (!added && it->second.first != coarse[i])
        ctx.fail("/labels/coarse", "fine class " + std::to_string(fine[i]) + " is under coarse class " +
                                       std::to_string(it->second.first) + " at row " +
                                       std::to_string(it->second.second) + " and under " +
                                       std::to_string(coarse[i]) + " at row " + std::to_string(i) +
                                       ": the labels must form a hierarchy");
    }
  }

  // A prediction names a superclass; one beyond every coarse label is not a
  // wrong answer to score but a column that means something else.
  std::vector<std::int32_t> read_prediction(const std::string& obj) {
    std::vector<std::int32_t> out = narrow_labels(ctx, obj, read_column(obj, static_cast<std::int64_t>(fine.size())));
    const std::int32_t top = coarse.empty() ? 0 : *std::max_element(coarse.begin(), coarse.end());
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i] < 0 || out[i] > top)
        ctx.fail(obj, "value " + std::to_string(out[i]) + " at row " + std::to_string(i) +
                          " is not a superclass (the coarse labels run from 0 to " + std::to_string(top) + ")");
    }
    return out;
  }

  void find_layers() {
    const auto n = static_cast<std::int64_t>(fine.size());
    for (const std::string& name : h5::link_names(ctx, file, "/")) {
      if (name.rfind("epoch_", 0) != 0) continue;  // other tools' extras are not ours to judge
      const std::string group = "/" + name;
      const std::optional<int> epoch = parse_epoch(name);
      if (!epoch) ctx.fail(group, "expected /epoch_<non-negative integer>");
      if (!h5::exists(ctx, file, group)) ctx.fail(group, "dangling link");
      if (h5::object_type(ctx, file, group) != H5I_GROUP) ctx.fail(group, "expected a group");
      for (const std::string& layer : h5::link_names(ctx, file, group)) {
        const std::string obj = group + "/" + layer;
        if (!h5::exists(ctx, file, obj)) ctx.fail(obj, "dangling link");
        if (h5::object_type(ctx, file, obj) != H5I_DATASET)
          ctx.fail(obj, "expected a 2-D float dataset, found a group");
        h5::Id dset = h5::open_dataset(ctx, file, obj);
        const h5::Shape shape = h5::shape_of(ctx, dset, obj);
        if (shape.cls != H5T_FLOAT || shape.dims.size() != 2)
          ctx.fail(obj, "expected a 2-D float dataset, found " + std::to_string(shape.dims.size()) +
                            "-D " + h5::class_name(shape.cls));
        const auto rows = static_cast<std::int64_t>(shape.dims[0]);
        const auto dim = static_cast<std::int64_t>(shape.dims[1]);
        if (rows != n) ctx.fail(obj, std::to_string(rows) + " rows, but the labels have " + std::to_string(n));
        if (dim == 0) ctx.fail(obj, "0 columns");
        h5::check_read_size(ctx, dset, obj, shape, sizeof(float));
        layers.push_back(LayerKey{*epoch, layer, rows, dim});
      }
    }
    if (layers.empty()) ctx.fail("/epoch_<e>/<layer>", "missing (no activation matrix)");
    std::sort(layers.begin(), layers.end(), [](const LayerKey& a, const LayerKey& b) {
      return a.epoch != b.epoch ? a.epoch < b.epoch : a.layer < b.layer;
    });
  }

  void read_root_attrs() {
    for (const std::string& name : h5::attr_names(ctx, file, "/")) {
      const std::optional<h5::AttrValue> value = h5::read_attr(ctx, file, "/", name);
      if (!value) continue;
      if (value->text) text_attrs[name] = *value->text;
      if (value->number) number_attrs[name] = *value->number;
    }
  }
};

ActivationFile::ActivationFile(const std::string& path) : impl_(std::make_unique<Impl>(path)) {
  Impl& f = *impl_;
  h5::require_file(f.ctx);
  f.file = h5::open_file_readonly(f.ctx);
  f.read_labels();
  f.find_layers();
  f.read_root_attrs();
}

ActivationFile::~ActivationFile() = default;

const std::string& ActivationFile::path() const { return impl_->path; }
const std::vector<std::int32_t>& ActivationFile::fine() const { return impl_->fine; }
const std::vector<std::int32_t>& ActivationFile::coarse() const { return impl_->coarse; }
const std::vector<std::int64_t>& ActivationFile::index() const { return impl_->index; }
const std::optional<std::vector<std::int32_t>>& ActivationFile::predicted_coarse() const {
  return impl_->predicted;
}
std::optional<std::vector<std::int32_t>> ActivationFile::predicted_coarse_at(int epoch) const {
  Impl& f = *impl_;
  const std::string obj = "/predicted_coarse/epoch_" + std::to_string(epoch);
  if (h5::exists(f.ctx, f.file, obj)) return f.read_prediction(obj);
  // Older files: only the final network's prediction, which belongs to the last epoch.
  const bool last = !f.layers.empty() && epoch == f.layers.back().epoch;
  if (last && f.predicted) return f.predicted;
  return std::nullopt;
}

const std::vector<LayerKey>& ActivationFile::layers() const { return impl_->layers; }
std::int64_t ActivationFile::rows() const { return static_cast<std::int64_t>(impl_->fine.size()); }

std::string ActivationFile::string_attr(const std::string& name) const {
  const auto it = impl_->text_attrs.find(name);
  return it == impl_->text_attrs.end() ? std::string() : it->second;
}

std::optional<double> ActivationFile::number_attr(const std::string& name) const {
  const auto it = impl_->number_attrs.find(name);
  if (it == impl_->number_attrs.end()) return std::nullopt;
  return it->second;
}

bool ActivationFile::complete() const { return number_attr("complete") == 1.0; }

RowMatrixXf ActivationFile::read(const LayerKey& key) const { return read_rows(key, 0, -1); }

RowMatrixXf ActivationFile::read_rows(const LayerKey& key, std::int64_t first, std::int64_t count) const {
  const Impl& f = *impl_;
  const std::string obj = layer_path(key.epoch, key.layer);
  const auto it = std::find_if(f.layers.begin(), f.layers.end(), [&](const LayerKey& k) {
    return k.epoch == key.epoch && k.layer == key.layer;
  });
  if (it == f.layers.end()) f.ctx.fail(obj, "no such layer");
  if (count < 0) count = it->rows - first;
  if (first < 0 || count < 0 || first + count > it->rows)
    f.ctx.fail(obj, "rows [" + std::to_string(first) + ", " + std::to_string(first + count) + ") outside [0, " +
                        std::to_string(it->rows) + ")");
  RowMatrixXf m(count, it->dim);
  h5::Id dset = h5::open_dataset(f.ctx, f.file, obj);
  h5::Id fspace = f.ctx.id(H5Dget_space(dset), obj, "H5Dget_space");
  const hsize_t start[2] = {static_cast<hsize_t>(first), 0};
  const hsize_t block[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(it->dim)};
  if (count > 0)
    f.ctx.ok(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, block, nullptr), obj, "H5Sselect_hyperslab");
  else
    f.ctx.ok(H5Sselect_none(fspace), obj, "H5Sselect_none");
  h5::Id mspace = f.ctx.id(H5Screate_simple(2, block, nullptr), obj, "H5Screate_simple");
  if (count == 0) f.ctx.ok(H5Sselect_none(mspace), obj, "H5Sselect_none");
  h5::Id type = f.ctx.id(H5Dget_type(dset), obj, "H5Dget_type");
  const auto read = [&](hid_t memtype, void* buf) {
    f.ctx.ok(H5Dread(dset, memtype, mspace, fspace, H5P_DEFAULT, buf), obj, "H5Dread");
  };
  if (H5Tget_class(type) == H5T_FLOAT && H5Tget_size(type) == 2 && H5Tget_order(type) == H5T_ORDER_LE) {
    // Half: read as stored and widened here, much faster than HDF5's soft conversion.
    h5::Id half = h5::half_type(f.ctx, obj);
    if (H5Tequal(type, half) > 0) {
      std::vector<std::uint16_t> raw(static_cast<std::size_t>(std::max<Eigen::Index>(m.size(), 1)));
      read(half, raw.data());
      detail::halves_to_floats(raw.data(), m.data(), static_cast<std::size_t>(m.size()));
      return m;
    }
  }
  // HDF5 converts float64 (h5py's default) and other types to float32 while reading.
  float none = 0;
  read(H5T_NATIVE_FLOAT, m.size() > 0 ? m.data() : &none);
  return m;
}

std::string training_stamp(const ActivationFile& file) {
  const auto seconds = file.number_attr("train_seconds");
  const auto loss = file.number_attr("final_train_loss");
  if (!seconds || !loss) return {};
  char buf[96];
  std::snprintf(buf, sizeof buf, "%a %a", *seconds, *loss);  // hexadecimal: exact
  return buf;
}

}  // namespace cp

// Ids, errors, files, groups and links of the private HDF5 layer (see h5_util.hpp).
#include "h5_util.hpp"

#include <filesystem>
#include <vector>
#include <mutex>
#include <system_error>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/io/hdf5_state.hpp"

namespace cp::h5 {

const char* class_name(H5T_class_t cls) {
  switch (cls) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "vlen";
    case H5T_OPAQUE: return "opaque";
    case H5T_REFERENCE: return "reference";
    case H5T_BITFIELD: return "bitfield";
    case H5T_TIME: return "time";
    default: return "unknown";
  }
}

namespace {

herr_t innermost_error(unsigned n, const H5E_error2_t* err, void* out) {
  // Walking upward, n == 0 is the most specific frame: the real reason
  // ("name already exists", "No such file or directory"), not the API wrapper.
  if (n != 0 || !err) return 0;
  auto* text = static_cast<std::string*>(out);
  if (err->desc && *err->desc) {
    *text = err->desc;
  } else {
    char msg[256] = {};
    if (H5Eget_msg(err->min_num, nullptr, msg, sizeof msg) > 0) *text = msg;
  }
  return 0;
}

// HDF5's low-level messages carry a time stamp, buffer addresses and byte
// counts over several lines; the user needs what failed and the system's reason.
std::string readable(const std::string& text) {
  const std::string marker = "error message = '";
  const auto at = text.find(marker);
  if (at == std::string::npos) {
    std::string one_line = text;
    for (auto& ch : one_line) {
      if (ch == '\n' || ch == '\r') ch = ' ';
    }
    return one_line;
  }
  const auto start = at + marker.size();
  const auto end = text.find('\'', start);
  return text.substr(0, text.find(':')) + ": " + text.substr(start, end == std::string::npos ? end : end - start);
}

std::string take_h5_error_stack() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &text);
  H5Eclear2(H5E_DEFAULT);
  return readable(text);
}

}  // namespace

Id intermediate_lcpl(const Ctx& ctx, const std::string& obj) {
  Id lcpl = ctx.id(H5Pcreate(H5P_LINK_CREATE), obj, "H5Pcreate");
  ctx.ok(H5Pset_create_intermediate_group(lcpl, 1), obj, "H5Pset_create_intermediate_group");
  return lcpl;
}

namespace {
bool g_close_failed = false;
}  // namespace

bool close_failed() { return g_close_failed; }

void Id::reset() noexcept {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: g_close_failed = H5Fclose(id_) < 0 || g_close_failed; break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: H5Idec_ref(id_); break;
  }
  id_ = H5I_INVALID_HID;
}

Ctx::Ctx(std::string file, Blame blame) : file_(std::move(file)), blame_(blame) {
  static std::once_flag silenced;
  std::call_once(silenced, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

void Ctx::fail(const std::string& object, const std::string& what) const {
  std::string msg = file_ + ": " + (object.empty() ? "" : object + ": ") + what;
  if (blame_ == Blame::input) throw InputError(msg);
  throw IoError(msg);
}

void Ctx::fail_h5(const std::string& object, const char* call) const {
  const std::string reason = take_h5_error_stack();
  fail(object, std::string(call) + " failed" + (reason.empty() ? "" : " (" + reason + ")"));
}

Id serial_fapl(const Ctx& ctx) {
  Id fapl = ctx.id(H5Pcreate(H5P_FILE_ACCESS), "/", "H5Pcreate");
  ctx.ok(H5Pset_fapl_sec2(fapl), "/", "H5Pset_fapl_sec2");
#if H5_VERSION_GE(1, 10, 7)
  // No HDF5 lock: NFS and Lustre mounts refuse flock() with errors that
  // best-effort locking does not skip (ENOLCK, 524), which would fail every
  // open there, and our files need none (one writer per output directory,
  // written under tmp names and renamed into place).
  ctx.ok(H5Pset_file_locking(fapl, 0, 1), "/", "H5Pset_file_locking");
#endif
  return fapl;
}

Id create_file(const Ctx& ctx, hid_t fapl) {
  return ctx.id(H5Fcreate(ctx.file().c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl), "", "H5Fcreate");
}

Id open_file_readonly(const Ctx& ctx) {
  Id fapl = serial_fapl(ctx);
  return ctx.id(H5Fopen(ctx.file().c_str(), H5F_ACC_RDONLY, fapl), "", "H5Fopen");
}

void close_file(const Ctx& ctx, Id& file) {
  if (!file.valid()) return;
  if (H5Fclose(file.release()) < 0) {
    g_close_failed = true;
    ctx.fail_h5("", "H5Fclose");
  }
}

bool exists(const Ctx& ctx, hid_t loc, const std::string& path) {
  std::string partial;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) {
      partial += "/" + path.substr(pos, next - pos);
      // H5Lexists on a path whose parent is missing is an error, not "no".
      if (!ctx.tri(H5Lexists(loc, partial.c_str(), H5P_DEFAULT), partial, "H5Lexists")) return false;
      if (!ctx.tri(H5Oexists_by_name(loc, partial.c_str(), H5P_DEFAULT), partial,
                   "H5Oexists_by_name"))
        return false;  // dangling soft or external link
    }
    pos = next + 1;
  }
  return true;
}

H5I_type_t object_type(const Ctx& ctx, hid_t loc, const std::string& path) {
  Id obj = ctx.id(H5Oopen(loc, path.c_str(), H5P_DEFAULT), path, "H5Oopen");
  return H5Iget_type(obj);
}

Id open_group(const Ctx& ctx, hid_t loc, const std::string& path) {
  return ctx.id(H5Gopen2(loc, path.c_str(), H5P_DEFAULT), path, "H5Gopen");
}

Id require_group(const Ctx& ctx, hid_t loc, const std::string& path) {
  if (exists(ctx, loc, path)) return open_group(ctx, loc, path);
  Id lcpl = intermediate_lcpl(ctx, path);
  return ctx.id(H5Gcreate2(loc, path.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT), path,
                "H5Gcreate");
}

Id open_dataset(const Ctx& ctx, hid_t loc, const std::string& path) {
  return ctx.id(H5Dopen2(loc, path.c_str(), H5P_DEFAULT), path, "H5Dopen");
}

std::vector<std::string> link_names(const Ctx& ctx, hid_t loc, const std::string& path) {
  Id group = open_group(ctx, loc, path);
  H5G_info_t info{};
  ctx.ok(H5Gget_info(group, &info), path, "H5Gget_info");
  std::vector<std::string> names;
  names.reserve(info.nlinks);
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    ssize_t len = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0,
                                     H5P_DEFAULT);
    if (len < 0) ctx.fail_h5(path, "H5Lget_name_by_idx");
    std::string name(static_cast<size_t>(len) + 1, '\0');
    if (H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                           H5P_DEFAULT) < 0)
      ctx.fail_h5(path, "H5Lget_name_by_idx");
    name.resize(static_cast<size_t>(len));
    names.push_back(std::move(name));
  }
  return names;
}

Id string_type(const Ctx& ctx) {
  Id type = ctx.id(H5Tcopy(H5T_C_S1), "", "H5Tcopy");
  ctx.ok(H5Tset_size(type, H5T_VARIABLE), "", "H5Tset_size");
  ctx.ok(H5Tset_cset(type, H5T_CSET_UTF8), "", "H5Tset_cset");
  return type;
}

Shape shape_of(const Ctx& ctx, hid_t dset, const std::string& path) {
  Shape shape;
  Id type = ctx.id(H5Dget_type(dset), path, "H5Dget_type");
  shape.cls = H5Tget_class(type);
  if (shape.cls == H5T_NO_CLASS) ctx.fail_h5(path, "H5Tget_class");
  Id space = ctx.id(H5Dget_space(dset), path, "H5Dget_space");
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) ctx.fail_h5(path, "H5Sget_simple_extent_ndims");
  shape.dims.resize(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space, shape.dims.data(), nullptr) < 0)
    ctx.fail_h5(path, "H5Sget_simple_extent_dims");
  return shape;
}

void write_atomically(const std::string& path,
                      const std::function<void(const Ctx&, hid_t)>& fill) {
  write_file_atomically(path, file_image(path, fill));
}

std::string file_image(const std::string& path, const std::function<void(const Ctx&, hid_t)>& fill) {
  create_parent_dirs(path);
  // Built in memory (core driver, no backing store) and written by us: a full
  // disk then fails in our own write, never inside H5Fclose, whose failure
  // leaves HDF5 1.10 with a half-destroyed file that crashes it at exit.
  Ctx ctx(path);
  std::vector<char> image;
  {
    Id fapl = ctx.id(H5Pcreate(H5P_FILE_ACCESS), "/", "H5Pcreate");
    ctx.ok(H5Pset_fapl_core(fapl, 1 << 20, 0), "/", "H5Pset_fapl_core");
    Id file = ctx.id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), "", "H5Fcreate");
    fill(ctx, file);
    ctx.ok(H5Fflush(file, H5F_SCOPE_GLOBAL), "", "H5Fflush");
    const ssize_t size = H5Fget_file_image(file, nullptr, 0);
    if (size < 0) ctx.fail_h5("", "H5Fget_file_image");
    image.resize(static_cast<std::size_t>(size));
    if (H5Fget_file_image(file, image.data(), image.size()) != size) ctx.fail_h5("", "H5Fget_file_image");
    close_file(ctx, file);
  }
  return std::string(image.begin(), image.end());
}

void require_file(const Ctx& ctx) {
  std::error_code ec;
  if (!std::filesystem::exists(ctx.file(), ec)) ctx.fail("", "no such file");
  refuse_non_regular(ctx.file(), "HDF5 file", ctx.kind());
}

void rename_into_place(const std::string& tmp, const std::string& final_path) {
  std::error_code ec;
  std::filesystem::rename(tmp, final_path, ec);
  if (ec) throw IoError(tmp + ": cannot rename to " + final_path + ": " + ec.message());
}

void create_parent_dirs(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) throw IoError(parent.string() + ": cannot create directory: " + ec.message());
}

}  // namespace cp::h5
// Dataset and attribute I/O of the private HDF5 layer (see h5_util.hpp).
#include "h5_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace cp::h5 {
namespace {

// A buffer pointer for zero-element reads and writes: HDF5 rejects a null
// buffer in some versions even when nothing is transferred.
char g_empty_buffer[8];

herr_t collect_attr_name(hid_t, const char* name, const H5A_info_t*, void* out) {
  try {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  } catch (...) {
    return -1;  // exceptions must not cross HDF5's C frames
  }
}

Id scalar_space(const Ctx& ctx, const std::string& obj) {
  return ctx.id(H5Screate(H5S_SCALAR), obj, "H5Screate");
}

std::string attr_label(const std::string& objpath, const std::string& name) {
  return objpath + (objpath.empty() || objpath.back() == '/' ? "" : "/") + "@" + name;
}

void write_scalar_attr(const Ctx& ctx, hid_t obj, const std::string& objpath,
                       const std::string& name, hid_t filetype, hid_t memtype, const void* value) {
  const std::string label = attr_label(objpath, name);
  if (ctx.tri(H5Aexists(obj, name.c_str()), label, "H5Aexists"))
    ctx.ok(H5Adelete(obj, name.c_str()), label, "H5Adelete");
  Id space = scalar_space(ctx, label);
  Id attr = ctx.id(H5Acreate2(obj, name.c_str(), filetype, space, H5P_DEFAULT, H5P_DEFAULT),
                   label, "H5Acreate");
  ctx.ok(H5Awrite(attr, memtype, value), label, "H5Awrite");
}

// Memory type matching a string file type: same cset, so HDF5 never converts.
Id string_memtype(const Ctx& ctx, hid_t ftype, const std::string& obj, bool variable) {
  Id mem = ctx.id(H5Tcopy(H5T_C_S1), obj, "H5Tcopy");
  ctx.ok(H5Tset_size(mem, variable ? H5T_VARIABLE : H5Tget_size(ftype)), obj, "H5Tset_size");
  ctx.ok(H5Tset_cset(mem, H5Tget_cset(ftype)), obj, "H5Tset_cset");
  if (!variable) ctx.ok(H5Tset_strpad(mem, H5Tget_strpad(ftype)), obj, "H5Tset_strpad");
  return mem;
}

std::string trim_fixed(const char* p, size_t size, H5T_str_t pad) {
  size_t len = strnlen(p, size);
  if (pad == H5T_STR_SPACEPAD)
    while (len > 0 && p[len - 1] == ' ') --len;
  return std::string(p, len);
}

}  // namespace

void write_array(const Ctx& ctx, hid_t loc, const std::string& path, hid_t filetype, hid_t memtype,
                 const void* data, const std::vector<hsize_t>& dims) {
  Id space = ctx.id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), path,
                    "H5Screate_simple");
  Id lcpl = intermediate_lcpl(ctx, path);
  Id dset = ctx.id(H5Dcreate2(loc, path.c_str(), filetype, space, lcpl, H5P_DEFAULT, H5P_DEFAULT),
                   path, "H5Dcreate");
  hsize_t n = 1;
  for (auto d : dims) n *= d;
  ctx.ok(H5Dwrite(dset, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, n ? data : g_empty_buffer), path,
         "H5Dwrite");
}

void write_vector(const Ctx& ctx, hid_t loc, const std::string& path, hid_t filetype,
                  hid_t memtype, const void* data, hsize_t n) {
  write_array(ctx, loc, path, filetype, memtype, data, {n});
}

void write_strings(const Ctx& ctx, hid_t loc, const std::string& path,
                   const std::vector<std::string>& values) {
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& v : values) ptrs.push_back(v.c_str());
  Id type = string_type(ctx);
  write_vector(ctx, loc, path, type, type, ptrs.data(), ptrs.size());
}

void read_all(const Ctx& ctx, hid_t dset, const std::string& path, hid_t memtype, void* buf) {
  ctx.ok(H5Dread(dset, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf ? buf : g_empty_buffer), path,
         "H5Dread");
}

namespace {

// A chunk never written reads as the fill value: rows of zeros that look like
// data. An interrupted or partial write (h5py writing some rows) leaves such
// chunks unallocated; every chunk the shape needs must be there.
void check_chunks_written(const Ctx& ctx, hid_t dset, hid_t dcpl, const std::string& path, const Shape& shape) {
  std::vector<hsize_t> chunk(shape.dims.size());
  if (H5Pget_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()) != static_cast<int>(chunk.size()))
    ctx.fail_h5(path, "H5Pget_chunk");
  hsize_t needed = 1;
  for (std::size_t i = 0; i < chunk.size(); ++i)
    needed *= (shape.dims[i] + chunk[i] - 1) / std::max<hsize_t>(chunk[i], 1);
  hsize_t written = 0;
  Id space = ctx.id(H5Dget_space(dset), path, "H5Dget_space");  // HDF5 1.10 refuses H5S_ALL here
  ctx.ok(H5Dget_num_chunks(dset, space, &written), path, "H5Dget_num_chunks");
  if (written < needed)
    ctx.fail(path, std::to_string(needed - written) + " of " + std::to_string(needed) +
                       " chunks were never written (an interrupted or partial write: their rows would read as " +
                       "fill values, not data)");
}

}  // namespace

void check_read_size(const Ctx& ctx, hid_t dset, const std::string& path, const Shape& shape,
                     std::size_t memory_elem_size) {
  // Sizes come from the file's header: a corrupt or hostile one must not
  // decide an allocation, so they are checked against what the file stores
  // and against this machine's memory before anything is allocated.
  long double elements = 1;
  for (hsize_t d : shape.dims) elements *= static_cast<long double>(d);
  Id ftype = ctx.id(H5Dget_type(dset), path, "H5Dget_type");
  const long double declared = elements * static_cast<long double>(H5Tget_size(ftype));
  Id dcpl = ctx.id(H5Dget_create_plist(dset), path, "H5Dget_create_plist");
  const H5D_layout_t layout = H5Pget_layout(dcpl);
  const auto stored = static_cast<long double>(H5Dget_storage_size(dset));
  if (layout == H5D_CONTIGUOUS && declared > 0 && stored < declared)
    ctx.fail(path, "declares " + std::to_string(static_cast<unsigned long long>(declared)) +
                       " bytes of data but stores " + std::to_string(static_cast<unsigned long long>(stored)) +
                       " (truncated, or never written)");
  if (layout == H5D_CHUNKED && declared > 0 && stored == 0)
    ctx.fail(path, "holds no data (never written)");
  if (layout == H5D_CHUNKED && declared > 0) check_chunks_written(ctx, dset, dcpl, path, shape);
  const long double needed = elements * static_cast<long double>(memory_elem_size);
  const long double memory = static_cast<long double>(sysconf(_SC_PHYS_PAGES)) *
                             static_cast<long double>(sysconf(_SC_PAGE_SIZE));
  if (memory > 0 && needed > memory)
    ctx.fail(path, "reading it needs " + std::to_string(static_cast<unsigned long long>(needed / (1 << 20))) +
                       " MiB, more than this machine's " +
                       std::to_string(static_cast<unsigned long long>(memory / (1 << 20))) + " MiB");
}

std::vector<std::string> read_strings(const Ctx& ctx, hid_t loc, const std::string& path) {
  Id dset = open_dataset(ctx, loc, path);
  Shape shape = shape_of(ctx, dset, path);
  if (shape.cls != H5T_STRING || shape.dims.size() != 1)
    ctx.fail(path, "expected a 1-D string dataset, found " + std::to_string(shape.dims.size()) +
                       "-D " + class_name(shape.cls));
  const size_t n = shape.dims[0];
  check_read_size(ctx, dset, path, shape, sizeof(char*));
  Id ftype = ctx.id(H5Dget_type(dset), path, "H5Dget_type");
  const bool variable = ctx.tri(H5Tis_variable_str(ftype), path, "H5Tis_variable_str");
  Id mem = string_memtype(ctx, ftype, path, variable);
  std::vector<std::string> out;
  out.reserve(n);
  if (variable) {
    std::vector<char*> ptrs(n, nullptr);
    read_all(ctx, dset, path, mem, ptrs.data());
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    Id space = ctx.id(H5Dget_space(dset), path, "H5Dget_space");
#if H5_VERSION_GE(1, 12, 0)
    if (n) ctx.ok(H5Treclaim(mem, space, H5P_DEFAULT, ptrs.data()), path, "H5Treclaim");
#else
    if (n) ctx.ok(H5Dvlen_reclaim(mem, space, H5P_DEFAULT, ptrs.data()), path, "H5Dvlen_reclaim");
#endif
  } else {
    const size_t size = H5Tget_size(ftype);
    std::vector<char> buf(n * size + 1);
    read_all(ctx, dset, path, mem, buf.data());
    for (size_t i = 0; i < n; ++i) out.push_back(trim_fixed(&buf[i * size], size, H5Tget_strpad(ftype)));
  }
  return out;
}

std::vector<std::int64_t> read_integers(const Ctx& ctx, hid_t loc, const std::string& path) {
  Id dset = open_dataset(ctx, loc, path);
  Shape shape = shape_of(ctx, dset, path);
  if (shape.cls != H5T_INTEGER || shape.dims.size() != 1)
    ctx.fail(path, "expected a 1-D integer dataset, found " + std::to_string(shape.dims.size()) +
                       "-D " + class_name(shape.cls));
  check_read_size(ctx, dset, path, shape, sizeof(std::int64_t));
  std::vector<std::int64_t> out(shape.dims[0]);
  read_all(ctx, dset, path, H5T_NATIVE_INT64, out.data());
  return out;
}

std::vector<double> read_doubles(const Ctx& ctx, hid_t loc, const std::string& path) {
  Id dset = open_dataset(ctx, loc, path);
  Shape shape = shape_of(ctx, dset, path);
  if ((shape.cls != H5T_FLOAT && shape.cls != H5T_INTEGER) || shape.dims.size() != 1)
    ctx.fail(path, "expected a 1-D numeric dataset, found " + std::to_string(shape.dims.size()) +
                       "-D " + class_name(shape.cls));
  check_read_size(ctx, dset, path, shape, sizeof(double));
  std::vector<double> out(shape.dims[0]);
  read_all(ctx, dset, path, H5T_NATIVE_DOUBLE, out.data());
  return out;
}

void write_attr(const Ctx& ctx, hid_t obj, const std::string& objpath, const std::string& name,
                const std::string& value) {
  Id type = string_type(ctx);
  const char* p = value.c_str();
  write_scalar_attr(ctx, obj, objpath, name, type, type, &p);
}

void write_attr(const Ctx& ctx, hid_t obj, const std::string& objpath, const std::string& name,
                double value) {
  write_scalar_attr(ctx, obj, objpath, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void write_attr(const Ctx& ctx, hid_t obj, const std::string& objpath, const std::string& name,
                std::int64_t value) {
  write_scalar_attr(ctx, obj, objpath, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

std::vector<std::string> attr_names(const Ctx& ctx, hid_t obj, const std::string& objpath) {
  std::vector<std::string> names;
  ctx.ok(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attr_name, &names),
         objpath, "H5Aiterate");
  return names;
}

std::optional<AttrValue> read_attr(const Ctx& ctx, hid_t obj, const std::string& objpath,
                                   const std::string& name) {
  const std::string label = attr_label(objpath, name);
  if (!ctx.tri(H5Aexists(obj, name.c_str()), label, "H5Aexists")) return std::nullopt;
  Id attr = ctx.id(H5Aopen(obj, name.c_str(), H5P_DEFAULT), label, "H5Aopen");
  Id ftype = ctx.id(H5Aget_type(attr), label, "H5Aget_type");
  Id space = ctx.id(H5Aget_space(attr), label, "H5Aget_space");
  AttrValue value;
  // Only single values have a meaning here; arrays are someone else's metadata.
  if (H5Sget_simple_extent_npoints(space) != 1) return value;
  switch (H5Tget_class(ftype)) {
    case H5T_STRING: {
      const bool variable = ctx.tri(H5Tis_variable_str(ftype), label, "H5Tis_variable_str");
      Id mem = string_memtype(ctx, ftype, label, variable);
      if (variable) {
        char* p = nullptr;
        ctx.ok(H5Aread(attr, mem, &p), label, "H5Aread");
        value.text = p ? p : "";
        H5free_memory(p);
      } else {
        const size_t size = H5Tget_size(ftype);
        std::vector<char> buf(size + 1, '\0');
        ctx.ok(H5Aread(attr, mem, buf.data()), label, "H5Aread");
        value.text = trim_fixed(buf.data(), size, H5Tget_strpad(ftype));
      }
      break;
    }
    case H5T_INTEGER:
    case H5T_FLOAT: {
      double d = 0;
      ctx.ok(H5Aread(attr, H5T_NATIVE_DOUBLE, &d), label, "H5Aread");
      value.number = d;
      break;
    }
    case H5T_ENUM: {
      // HDF5 will not convert enum -> number, so read the raw base integer.
      Id base = ctx.id(H5Tget_super(ftype), label, "H5Tget_super");
      Id mem = ctx.id(H5Tget_native_type(ftype, H5T_DIR_DEFAULT), label, "H5Tget_native_type");
      const size_t size = H5Tget_size(mem);
      if (H5Tget_class(base) != H5T_INTEGER || size > 8) break;
      unsigned char raw[8] = {};
      ctx.ok(H5Aread(attr, mem, raw), label, "H5Aread");
      const bool is_signed = H5Tget_sign(base) == H5T_SGN_2;
      auto as = [&raw](auto v) {
        std::memcpy(&v, raw, sizeof v);
        return static_cast<double>(v);
      };
      switch (size) {
        case 1: value.number = is_signed ? as(std::int8_t{}) : as(std::uint8_t{}); break;
        case 2: value.number = is_signed ? as(std::int16_t{}) : as(std::uint16_t{}); break;
        case 4: value.number = is_signed ? as(std::int32_t{}) : as(std::uint32_t{}); break;
        case 8: value.number = is_signed ? as(std::int64_t{}) : as(std::uint64_t{}); break;
        default: break;
      }
      break;
    }
    default:
      break;
  }
  return value;
}

Id half_type(const Ctx& ctx, const std::string& path) {
  Id type = ctx.id(H5Tcopy(H5T_IEEE_F32LE), path, "H5Tcopy");
  // Sign bit 15, exponent bits 10-14, mantissa bits 0-9, bias 15.
  ctx.ok(H5Tset_fields(type, 15, 10, 5, 0, 10), path, "H5Tset_fields");
  ctx.ok(H5Tset_size(type, 2), path, "H5Tset_size");
  ctx.ok(H5Tset_ebias(type, 15), path, "H5Tset_ebias");
  return type;
}

}  // namespace cp::h5

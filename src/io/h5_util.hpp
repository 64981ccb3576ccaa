#pragma once
// Private to src/io: RAII ownership of HDF5 ids and checked calls. Every
// negative HDF5 return becomes an exception that names the file and the object
// ("runs/x/activations.h5: /epoch_1/fc: H5Dcreate failed (<HDF5's reason>)"),
// so a failure far from the call site still says where it happened.
#include <hdf5.h>

#ifndef H5_HAVE_PARALLEL
#error "ClusterProbe needs the parallel (MPI) HDF5: build against libhdf5-openmpi-dev"
#endif

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/common/error.hpp"

namespace cp::h5 {

/// Owns one HDF5 id of any kind and closes it with the matching H5?close.
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  ~Id() { reset(); }
  Id(Id&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Id& operator=(Id&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;

  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT: passes straight into the C API
  bool valid() const { return id_ >= 0; }
  /// Gives up ownership without closing.
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
  /// Closes and ignores failure: for destructors and unwinding.
  void reset() noexcept;

 private:
  hid_t id_ = H5I_INVALID_HID;
};

/// Which exception a failure becomes: IoError for our own outputs, InputError
/// while reading a file somebody hands us (a corrupt input is the user's to fix).
enum class Blame { io, input };

/// The file an operation works on; turns HDF5 failures into exceptions.
/// Constructing one also switches off HDF5's own stderr error printing.
class Ctx {
 public:
  explicit Ctx(std::string file, Blame blame = Blame::io);
  const std::string& file() const { return file_; }
  ErrorKind kind() const { return blame_ == Blame::input ? ErrorKind::input : ErrorKind::io; }

  /// Throws "<file>: <object>: <what>".
  [[noreturn]] void fail(const std::string& object, const std::string& what) const;
  /// Throws "<file>: <object>: <call> failed (<HDF5 reason>)" and clears HDF5's stack.
  [[noreturn]] void fail_h5(const std::string& object, const char* call) const;

  Id id(hid_t value, const std::string& object, const char* call) const {
    if (value < 0) fail_h5(object, call);
    return Id(value);
  }
  void ok(herr_t value, const std::string& object, const char* call) const {
    if (value < 0) fail_h5(object, call);
  }
  bool tri(htri_t value, const std::string& object, const char* call) const {
    if (value < 0) fail_h5(object, call);
    return value > 0;
  }

 private:
  std::string file_;
  Blame blame_;
};

/// Local. Serial file access (sec2), tolerant of file systems without locks.
Id serial_fapl(const Ctx& ctx);
/// Collective with an MPI-IO fapl. Creates ctx.file(), which must not exist
/// (exclusive: an existing name, a symlink above all, is refused, never followed).
Id create_file(const Ctx& ctx, hid_t fapl);
/// Local. Opens ctx.file() read-only with serial access.
Id open_file_readonly(const Ctx& ctx);
/// Flushes and closes a file, reporting failure (unlike Id::reset).
void close_file(const Ctx& ctx, Id& file);

/// A link-creation list that creates missing intermediate groups.
Id intermediate_lcpl(const Ctx& ctx, const std::string& obj);
/// True if every component of the absolute `path` exists below `loc`.
bool exists(const Ctx& ctx, hid_t loc, const std::string& path);
/// H5I_GROUP, H5I_DATASET, ... of the object at `path` (which must exist).
H5I_type_t object_type(const Ctx& ctx, hid_t loc, const std::string& path);
Id open_group(const Ctx& ctx, hid_t loc, const std::string& path);
/// Opens the group, creating it (and missing parents) if needed.
Id require_group(const Ctx& ctx, hid_t loc, const std::string& path);
Id open_dataset(const Ctx& ctx, hid_t loc, const std::string& path);
/// Names of the links in the group at `path`, in name order.
std::vector<std::string> link_names(const Ctx& ctx, hid_t loc, const std::string& path);

/// Variable-length UTF-8 string type: what h5py writes for str and reads back as str.
Id string_type(const Ctx& ctx);

/// Shape and element class of a dataset.
struct Shape {
  H5T_class_t cls = H5T_NO_CLASS;
  std::vector<hsize_t> dims;
};
Shape shape_of(const Ctx& ctx, hid_t dset, const std::string& path);

/// Fails (naming the object) unless reading the whole dataset is plausible:
/// a contiguous dataset stores every byte it declares, a chunked one every
/// chunk its shape needs (a chunk never written would read as fill values),
/// and `memory_elem_size` bytes per element fit this machine's memory.
void check_read_size(const Ctx& ctx, hid_t dset, const std::string& path, const Shape& shape,
                     std::size_t memory_elem_size);

/// "integer", "float", "string", ... for error messages.
const char* class_name(H5T_class_t cls);

/// Writes a dataset of shape `dims`, row-major (memtype in memory, filetype on disk).
void write_array(const Ctx& ctx, hid_t loc, const std::string& path, hid_t filetype, hid_t memtype,
                 const void* data, const std::vector<hsize_t>& dims);
/// Writes a 1-D dataset of n elements (memtype in memory, filetype on disk).
void write_vector(const Ctx& ctx, hid_t loc, const std::string& path, hid_t filetype,
                  hid_t memtype, const void* data, hsize_t n);
/// Writes a 1-D variable-length UTF-8 string dataset.
void write_strings(const Ctx& ctx, hid_t loc, const std::string& path,
                   const std::vector<std::string>& values);
/// Reads a whole dataset into `buf` converted to memtype (HDF5 converts
/// int64 -> int32, float64 -> float32 and so on).
void read_all(const Ctx& ctx, hid_t dset, const std::string& path, hid_t memtype, void* buf);

/// IEEE binary16 little-endian as an HDF5 float type (what h5py writes and
/// reads as numpy float16; HDF5 1.10 has no predefined one).
Id half_type(const Ctx& ctx, const std::string& path);
/// Reads a 1-D dataset of fixed- or variable-length strings.
std::vector<std::string> read_strings(const Ctx& ctx, hid_t loc, const std::string& path);
/// Reads a 1-D integer dataset (any integer type on disk) as int64.
std::vector<std::int64_t> read_integers(const Ctx& ctx, hid_t loc, const std::string& path);

/// Reads a 1-D numeric dataset (integer or float on disk) as double.
std::vector<double> read_doubles(const Ctx& ctx, hid_t loc, const std::string& path);

/// Scalar attributes on the object `obj` (named `objpath` in messages).
/// Writing replaces an existing attribute of the same name.
void write_attr(const Ctx& ctx, hid_t obj, const std::string& objpath, const std::string& name,
                const std::string& value);
void write_attr(const Ctx& ctx, hid_t obj, const std::string& objpath, const std::string& name,
                double value);
void write_attr(const Ctx& ctx, hid_t obj, const std::string& objpath, const std::string& name,
                std::int64_t value);

/// An attribute's value: text for strings, number for scalar integers, floats
/// and integer-based enums (h5py's bool); neither for anything else.
struct AttrValue {
  std::optional<std::string> text;
  std::optional<double> number;
};
std::vector<std::string> attr_names(const Ctx& ctx, hid_t obj, const std::string& objpath);
/// nullopt when the attribute does not exist.
std::optional<AttrValue> read_attr(const Ctx& ctx, hid_t obj, const std::string& objpath,
                                   const std::string& name);

/// Local. Lets `fill` write a new file in memory, then writes it to `<path>.tmp`
/// and renames it to `path` (io/atomic_file.hpp). On failure the error is
/// rethrown and `path` is the previous complete file, if any.
void write_atomically(const std::string& path, const std::function<void(const Ctx&, hid_t)>& fill);
/// Local. The bytes of the file `fill` builds (named `path` in messages), not
/// yet written anywhere: for outputs that must be replaced together.
std::string file_image(const std::string& path, const std::function<void(const Ctx&, hid_t)>& fill);
/// Local. Throws (per ctx's blame) "<file>: no such file" unless it is a regular file.
void require_file(const Ctx& ctx);

/// Local. std::filesystem::rename(tmp, final), IoError naming both on failure.
void rename_into_place(const std::string& tmp, const std::string& final_path);
/// Local. Creates the parent directory of `path` if needed (IoError on failure).
void create_parent_dirs(const std::string& path);

}  // namespace cp::h5

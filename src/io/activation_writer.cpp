// ActivationWriter: one activations.h5 written collectively through MPI-IO.
//
// Every HDF5 call that touches metadata (create, open, attributes, close) is
// collective in parallel HDF5, so argument problems are agreed on first
// (comm/agree.hpp) and every rank throws the same exception together instead of
// one rank leaving the others blocked in a collective call.
#include <algorithm>
#include <functional>
#include <numeric>

#include <unistd.h>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "h5_util.hpp"
#include "half.hpp"

namespace cp {
namespace {

// Bytes one rank hands to a single H5Dwrite: ROMIO counts in int, so staying
// well under 2 GiB per call keeps very wide layers writable.
constexpr std::int64_t kMaxBytesPerCall = std::int64_t{1} << 30;

// Compressed layers are chunked by whole rows, about this many bytes a chunk:
// big enough for deflate, small enough that a rank's row range reads few extra.
constexpr std::int64_t kChunkBytes = std::int64_t{1} << 20;

bool is_reserved_attr(const std::string& name) {
  return name == "run_id" || name == "config" || name == "version" || name == "complete";
}

// std::hash of a string is deterministic within one binary, and every rank
// runs the same binary; the shift keeps negation (in same_on_all_ranks) defined.
std::int64_t name_hash(const std::string& s) {
  return static_cast<std::int64_t>(std::hash<std::string>{}(s) >> 2);
}

char g_no_rows[8];

}  // namespace

struct ActivationWriter::Impl {
  std::string final_path;
  std::string tmp_path;
  MPI_Comm comm;
  int rank;
  std::int64_t total_rows;
  bool half = false;
  int deflate = 0;
  h5::Ctx ctx;
  h5::Id dxpl;  // declared before file: the file closes first
  h5::Id file;

  Impl(const std::string& path, MPI_Comm c, std::int64_t rows)
      : final_path(path), tmp_path(temporary_path(path)), comm(c), rank(comm_rank(c)), total_rows(rows),
        ctx(tmp_path) {}

  /// Collective. All ranks must pass identical values (a divergent call would
  /// otherwise corrupt the file or hang inside HDF5).
  void same_on_all_ranks(const std::string& what, std::initializer_list<std::int64_t> values) const {
    std::vector<std::int64_t> local, global(values.size() * 2);
    for (std::int64_t v : values) {
      local.push_back(v);
      local.push_back(-v);
    }
    check_mpi(MPI_Allreduce(local.data(), global.data(), static_cast<int>(local.size()),
                            MPI_INT64_T, MPI_MAX, comm),
              "ActivationWriter: MPI_Allreduce");
    for (size_t i = 0; i < values.size(); ++i)
      if (global[2 * i] != -global[2 * i + 1])
        throw InternalError(final_path + ": " + what + ": ranks passed different arguments");
  }

  /// Local check of this rank's row range; the message names the rank.
  std::string check_rows(const std::string& what, std::int64_t offset, std::int64_t n,
                         bool data_missing) const {
    if (!file.valid()) return final_path + ": " + what + " after commit";
    if (offset < 0 || n < 0 || offset > total_rows || n > total_rows - offset)
      return final_path + ": " + what + ": rank " + std::to_string(rank) + ": rows [" +
             std::to_string(offset) + ", " + std::to_string(offset + n) + ") outside [0, " +
             std::to_string(total_rows) + ")";
    if (n > 0 && data_missing)
      return final_path + ": " + what + ": rank " + std::to_string(rank) + ": null data for " +
             std::to_string(n) + " rows";
    return {};
  }

  /// Collective. Opens `path`, or creates it as an uncompressed contiguous
  /// [total_rows] or [total_rows, dim] dataset (dim == 0 means 1-D).
  h5::Id require_dataset(const std::string& path, hid_t filetype, std::int64_t dim, int level = 0) {
    std::vector<hsize_t> dims{static_cast<hsize_t>(total_rows)};
    if (dim > 0) dims.push_back(static_cast<hsize_t>(dim));
    if (h5::exists(ctx, file, path)) {
      h5::Id dset = h5::open_dataset(ctx, file, path);
      // Same answer on every rank, so every rank throws together.
      if (h5::shape_of(ctx, dset, path).dims != dims)
        throw InternalError(final_path + ": " + path + ": written again with another shape");
      return dset;
    }
    const auto slash = path.rfind('/');
    if (slash > 0) h5::require_group(ctx, file, path.substr(0, slash));
    h5::Id space = ctx.id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                          path, "H5Screate_simple");
    h5::Id dcpl = ctx.id(H5Pcreate(H5P_DATASET_CREATE), path, "H5Pcreate");
    // Every row is written by some rank, so HDF5's fill pass would only double the I/O.
    ctx.ok(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), path, "H5Pset_fill_time");
    ctx.ok(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), path, "H5Pset_alloc_time");
    if (level > 0 && total_rows > 0) {
      const std::int64_t row_bytes = std::max<std::int64_t>(1, dim) * static_cast<std::int64_t>(H5Tget_size(filetype));
      const hsize_t chunk[2] = {static_cast<hsize_t>(std::clamp<std::int64_t>(kChunkBytes / row_bytes, 1, total_rows)),
                                static_cast<hsize_t>(std::max<std::int64_t>(1, dim))};
      ctx.ok(H5Pset_chunk(dcpl, static_cast<int>(dims.size()), chunk), path, "H5Pset_chunk");
      ctx.ok(H5Pset_deflate(dcpl, static_cast<unsigned>(level)), path, "H5Pset_deflate");
    }
    return ctx.id(H5Dcreate2(file, path.c_str(), filetype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                  path, "H5Dcreate");
  }

  /// Collective. Writes this rank's rows [offset, offset + n) of `dset`, whose
  /// rows hold `width` elements (1-D datasets: width 1, rank 1).
  void write_rows(hid_t dset, const std::string& path, hid_t memtype, std::int64_t elem_size,
                  int space_rank, std::int64_t width, std::int64_t offset, std::int64_t n,
                  const void* data) {
    const std::int64_t row_bytes = width * elem_size;
    const std::int64_t per_call = std::max<std::int64_t>(1, kMaxBytesPerCall / row_bytes);
    const std::int64_t my_calls = (n + per_call - 1) / per_call;
    std::int64_t calls = 0;
    // Collective transfers need the same number of H5Dwrite calls everywhere.
    check_mpi(MPI_Allreduce(&my_calls, &calls, 1, MPI_INT64_T, MPI_MAX, comm),
              "ActivationWriter: MPI_Allreduce");
    h5::Id fspace = ctx.id(H5Dget_space(dset), path, "H5Dget_space");
    const char* bytes = static_cast<const char*>(data);
    for (std::int64_t c = 0; c < calls; ++c) {
      // Agreed call by call: a rank whose write failed must not leave the
      // others inside the next collective transfer.
      collective(comm, [&] {
      const std::int64_t first = c * per_call;
      const std::int64_t count = std::clamp<std::int64_t>(n - first, 0, per_call);
      const hsize_t start[2] = {static_cast<hsize_t>(offset + first), 0};
      const hsize_t block[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(width)};
      const hsize_t mdims[2] = {static_cast<hsize_t>(std::max<std::int64_t>(count, 1)),
                                static_cast<hsize_t>(width)};
      h5::Id mspace = ctx.id(H5Screate_simple(space_rank, mdims, nullptr), path, "H5Screate_simple");
      if (count > 0) {
        ctx.ok(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, block, nullptr), path,
               "H5Sselect_hyperslab");
      } else {
        // A rank without rows still takes part in the collective write.
        ctx.ok(H5Sselect_none(fspace), path, "H5Sselect_none");
        ctx.ok(H5Sselect_none(mspace), path, "H5Sselect_none");
      }
      const void* buf = count > 0 ? bytes + first * row_bytes : g_no_rows;
      ctx.ok(H5Dwrite(dset, memtype, mspace, fspace, dxpl, buf), path, "H5Dwrite");
      });
    }
  }

  void write_vector(const std::string& path, hid_t filetype, hid_t memtype,
                    std::int64_t elem_size, std::int64_t offset, std::int64_t n,
                    const void* data) {
    h5::Id dset;
    collective(comm, [&] { dset = require_dataset(path, filetype, 0); });
    write_rows(dset, path, memtype, elem_size, 1, 1, offset, n, data);
  }
};

ActivationWriter::ActivationWriter(const std::string& final_path, MPI_Comm comm,
                                   const ActivationMeta& meta, std::int64_t total_rows)
    : impl_(std::make_unique<Impl>(final_path, comm, total_rows)) {
  Impl& w = *impl_;
  w.half = meta.half;
  w.deflate = meta.deflate;
  std::string error;
  if (total_rows < 0) error = final_path + ": negative row count " + std::to_string(total_rows);
  if (meta.deflate < 0 || meta.deflate > 9) error = final_path + ": deflate level " + std::to_string(meta.deflate);
  for (const auto& [name, value] : meta.string_attrs)
    if (is_reserved_attr(name)) error = final_path + ": extra attribute '" + name + "' is reserved";
  for (const auto& [name, value] : meta.number_attrs)
    if (is_reserved_attr(name)) error = final_path + ": extra attribute '" + name + "' is reserved";
  agree(ErrorKind::internal, error, w.comm);

  // Also the barrier that keeps the other ranks from opening before the directory exists.
  // A stale temporary file, or a symlink planted at its name, is removed (not
  // its target): the create below is exclusive, so it never follows one.
  collective(comm, [&] {
    if (w.rank != 0) return;
    h5::create_parent_dirs(final_path);
    ::unlink(w.tmp_path.c_str());
  });

  // HDF5 may fail on some ranks only (a full disk seen by one I/O aggregator):
  // each collective step is agreed, so no rank goes on into the next one alone.
  collective(comm, [&] {
  h5::Id fapl = w.ctx.id(H5Pcreate(H5P_FILE_ACCESS), "", "H5Pcreate");
  w.ctx.ok(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "", "H5Pset_fapl_mpio");
  // Let one rank write the metadata cache at flush and close instead of all of them.
  w.ctx.ok(H5Pset_coll_metadata_write(fapl, 1), "", "H5Pset_coll_metadata_write");
  w.file = h5::create_file(w.ctx, fapl);
  w.dxpl = w.ctx.id(H5Pcreate(H5P_DATASET_XFER), "", "H5Pcreate");
  w.ctx.ok(H5Pset_dxpl_mpio(w.dxpl, H5FD_MPIO_COLLECTIVE), "", "H5Pset_dxpl_mpio");

  h5::write_attr(w.ctx, w.file, "/", "run_id", meta.run_id);
  h5::write_attr(w.ctx, w.file, "/", "config", meta.config_yaml);
  h5::write_attr(w.ctx, w.file, "/", "version", std::string(CLUSTERPROBE_VERSION));
  h5::write_attr(w.ctx, w.file, "/", "complete", std::int64_t{0});
  for (const auto& [name, value] : meta.string_attrs) h5::write_attr(w.ctx, w.file, "/", name, value);
  for (const auto& [name, value] : meta.number_attrs) h5::write_attr(w.ctx, w.file, "/", name, value);
  h5::require_group(w.ctx, w.file, "/labels");
  });
}

ActivationWriter::~ActivationWriter() = default;  // h5::Id closes quietly: tmp stays complete=0

void ActivationWriter::write_labels(std::int64_t row_offset, std::int64_t n,
                                    const std::int32_t* fine, const std::int32_t* coarse,
                                    const std::int64_t* index) {
  Impl& w = *impl_;
  agree(ErrorKind::internal, w.check_rows("write_labels", row_offset, n, !fine || !coarse), w.comm);
  std::vector<std::int64_t> rows;
  if (!index && n > 0) {
    // No dataset row numbers given: the probe set is the split in order.
    rows.resize(static_cast<size_t>(n));
    std::iota(rows.begin(), rows.end(), row_offset);
    index = rows.data();
  }
  w.write_vector("/labels/fine", H5T_STD_I32LE, H5T_NATIVE_INT32, 4, row_offset, n, fine);
  w.write_vector("/labels/coarse", H5T_STD_I32LE, H5T_NATIVE_INT32, 4, row_offset, n, coarse);
  w.write_vector("/labels/index", H5T_STD_I64LE, H5T_NATIVE_INT64, 8, row_offset, n, index);
}

void ActivationWriter::write_predicted_coarse(std::int64_t row_offset, std::int64_t n,
                                              const std::int32_t* pred, int epoch) {
  Impl& w = *impl_;
  const std::string path = epoch < 0 ? std::string("/labels/predicted_coarse")
                                     : "/predicted_coarse/epoch_" + std::to_string(epoch);
  w.same_on_all_ranks("write_predicted_coarse " + path, {epoch});
  agree(ErrorKind::internal, w.check_rows("write_predicted_coarse", row_offset, n, !pred), w.comm);
  w.write_vector(path, H5T_STD_I32LE, H5T_NATIVE_INT32, 4, row_offset, n, pred);
}

void ActivationWriter::write_layer(int epoch, const std::string& layer, std::int64_t dim,
                                   std::int64_t row_offset, std::int64_t n, const float* rows) {
  Impl& w = *impl_;
  const std::string path = "/epoch_" + std::to_string(epoch) + "/" + layer;
  w.same_on_all_ranks("write_layer " + path, {epoch, dim, name_hash(layer)});
  std::string error = w.check_rows("write_layer " + path, row_offset, n, !rows);
  if (layer.empty() || layer == "." || layer.find('/') != std::string::npos)
    error = w.final_path + ": write_layer: invalid layer name '" + layer + "'";
  if (epoch < 0 || dim <= 0)
    error = w.final_path + ": write_layer " + path + ": invalid epoch " + std::to_string(epoch) +
            " or dim " + std::to_string(dim);
  agree(ErrorKind::internal, error, w.comm);
  h5::Id dset;
  if (!w.half) {
    collective(w.comm, [&] { dset = w.require_dataset(path, H5T_IEEE_F32LE, dim, w.deflate); });
    w.write_rows(dset, path, H5T_NATIVE_FLOAT, sizeof(float), 2, dim, row_offset, n, rows);
    return;
  }
  // Converted here, so memory and file types agree and the transfer stays collective.
  std::vector<std::uint16_t> halves(static_cast<std::size_t>(n * dim));
  detail::floats_to_halves(rows, halves.data(), halves.size());
  h5::Id type;
  collective(w.comm, [&] {
    type = h5::half_type(w.ctx, path);
    dset = w.require_dataset(path, type, dim, w.deflate);
  });
  w.write_rows(dset, path, type, 2, 2, dim, row_offset, n, halves.data());
}

void ActivationWriter::set_number_attr(const std::string& name, double value) {
  Impl& w = *impl_;
  w.same_on_all_ranks("set_number_attr " + name, {name_hash(name)});
  std::string error;
  if (!w.file.valid()) error = w.final_path + ": set_number_attr after commit";
  if (is_reserved_attr(name) || name.empty())
    error = w.final_path + ": set_number_attr: attribute name '" + name + "' is reserved";
  agree(ErrorKind::internal, error, w.comm);
  collective(w.comm, [&] { h5::write_attr(w.ctx, w.file, "/", name, value); });
}

void ActivationWriter::commit() {
  Impl& w = *impl_;
  agree(ErrorKind::internal, w.file.valid() ? "" : w.final_path + ": commit called twice", w.comm);
  collective(w.comm, [&] {
    h5::write_attr(w.ctx, w.file, "/", "complete", std::int64_t{1});
    w.ctx.ok(H5Fflush(w.file, H5F_SCOPE_GLOBAL), "", "H5Fflush");
  });
  w.dxpl.reset();
  // Closing writes what the flush left (the superblock's end of file).
  collective(w.comm, [&] { h5::close_file(w.ctx, w.file); });
  // Also the barrier after which every rank may open the final file.
  collective(w.comm, [&] {
    if (w.rank == 0) h5::rename_into_place(w.tmp_path, w.final_path);
  });
}

}  // namespace cp

#pragma once
// Layer similarity of one run (the subspace-clustering study's analyses):
//   linear_cka_layers   linear CKA between every pair of probed layers (last epoch);
//   linear_cka_vs_final linear CKA of each layer at each stored epoch with its last epoch;
//   ssc_cka_layers, ssc_cka_vs_final   the same with SSC affinities as kernels
//                       ("SSC-CKA"), when cluster.methods has ssc.
// The vs-final values also go to the metrics table (method "cka").
#include <mpi.h>

#include <string>
#include <vector>

#include "clusterprobe/cluster/params.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/metrics/record.hpp"

namespace cp {

/// Local. Needs at least one stored layer; the raw input (stored at epoch 0)
/// joins the last epoch's layers in the layer-by-layer matrices.
RecordBatch layer_similarity(const ActivationFile& file, const std::string& run_id,
                             const ClusterParams& config, bool with_ssc);

/// Collective over comm: the same records for a run whose layers together
/// are too large for one rank. Rank r of p reads rows [N r / p, N (r + 1) / p)
/// of every layer; preprocessing and column means are reduced (preprocess()),
/// linear CKA is exact from cross products reduced on rank 0 a block of
/// columns at a time, and SSC-CKA's evenly spaced rows are gathered to rank 0,
/// which computes it. Rank 0 returns the records, the others an empty batch.
RecordBatch layer_similarity_distributed(const ActivationFile& file, const std::string& run_id,
                                         const ClusterParams& config, bool with_ssc, MPI_Comm comm);

}  // namespace cp

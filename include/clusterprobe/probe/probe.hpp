#pragma once
// The probing protocol on one stored matrix (run, epoch, layer):
//  - per superclass s: each method of cluster.methods with k = number of s's subclasses among the
//    rows, scored against the subclass labels (scope "<s>"), and the mean over
//    superclasses (scope "mean");
//  - global: each method with k = number of fine classes (scope "global");
//  - end-to-end fine accuracy (scope "global", metric e2e_accuracy): the
//    network's coarse prediction, then the nearest centroid among that
//    superclass's clusters, clusters labelled by their Hungarian match.
#include <string>
#include <vector>

#include "clusterprobe/cluster/params.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/metrics/measure.hpp"
#include "clusterprobe/metrics/record.hpp"

namespace cp {

/// Local. Clusters `key` of `file` and scores it with the requested metrics
/// (ami, ari, nmi, accuracy; "accuracy" yields both accuracies). Also returns
/// the cluster assignment of every clustering.
RecordBatch cluster_probe(const ActivationFile& file, const LayerKey& key,
                          const std::string& run_id, const ClusterParams& config,
                          const std::vector<Measure>& metrics);

/// Local. Whether `metrics` measure the rows as stored (nc1, selectivity):
/// cluster_probe() then keeps them next to the preprocessed copy.
bool measures_raw_rows(const std::vector<Measure>& metrics);

}  // namespace cp

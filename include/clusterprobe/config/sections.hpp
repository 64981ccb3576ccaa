#pragma once
// The sections of a study file that every run carries (train, extract, data,
// parallel), and what a run is made of. Plain values: the modules that train
// and load data read them without the study file's parser.
#include <cstdint>
#include <string>
#include <vector>

namespace cp {

struct TrainConfig {
  int epochs = 5;                 ///< passes over the training split (>= 0)
  int batch_size = 128;           ///< global batch size (>= 1)
  std::string optimizer = "sgd";  ///< sgd (momentum, Nesterov off)
  double lr = 0.05;               ///< initial learning rate (> 0)
  double momentum = 0.9;          ///< [0, 1)
  double weight_decay = 5.0e-4;   ///< L2 penalty (>= 0)
  std::string schedule = "cosine";  ///< cosine | step | constant
  int step_size = 1;              ///< epochs between decays (schedule: step)
  double gamma = 0.1;             ///< decay factor (schedule: step)
  std::int64_t max_samples = 0;   ///< training samples used, 0 = all (a class-stratified prefix)
  int threads = 0;                ///< torch threads per rank, 0 = cores / ranks on the node
  std::string device = "auto";    ///< auto (cuda when a GPU is visible) | cpu | cuda
  bool sync_batchnorm = false;    ///< all-reduce batch statistics across a run's ranks
  int checkpoint_every = 1;       ///< epochs between resumable checkpoints (>= 1)
  /// With pretraining: full (train every weight) | linear (freeze the pretrained
  /// body, train a fresh head) | frozen (no downstream training: probe the
  /// pretrained network as it is).
  std::string finetune = "full";
  int pretrain_epochs = 0;        ///< epochs of a pretraining run, 0 = `epochs`
  /// Augmentation of training batches: [auto] (the dataset's default), [] (none),
  /// or any of crop (random crop after zero padding) and flip (horizontal).
  std::vector<std::string> augment{"auto"};
  int crop_padding = 4;           ///< pixels of zero padding before the random crop (>= 0)
};

struct ExtractConfig {
  std::string split = "test";                 ///< test | train: the probe set
  std::vector<std::string> layers{"all"};     ///< probe point names, or "all"
  std::int64_t max_samples = 0;               ///< probe samples, 0 = all (class-stratified)
  std::string spatial = "mean";               ///< conv maps: mean | max (global pooling) | flatten
  /// Epochs after which activations are stored, besides epoch 0 (always
  /// stored: the untrained or pretrained network): integers >= 1 and "last".
  std::vector<std::string> epochs{"last"};
  /// How stored matrices are typed: float32 | float16 (HDF5's IEEE half,
  /// h5py's float16; half the bytes, about 3 significant digits). Part of the
  /// run id when float16: the stored values differ.
  std::string dtype = "float32";
  /// Deflate level of stored matrices, 0 = none (study file: compression:
  /// none | deflate:<1-9>). Rows are then chunked; not part of the run id.
  int deflate = 0;
};

struct ParallelConfig {
  int ranks_per_run = 1;           ///< ranks that train one run together (data-parallel)
  std::string backend = "auto";    ///< auto | mpi | nccl
  /// Wall-time limit of one invocation in hours (GROMACS -maxh; 0: none): no
  /// run is claimed after it, a run stops (checkpointed) at the first epoch
  /// end where the next epoch would overrun it, and a later call goes on.
  double max_hours = 0;
  /// Seconds between progress lines inside an epoch and in the cluster stage
  /// (a study line also ends every run); 0: at every step.
  double progress_every = 60;
};

struct DataConfig {
  std::string fmnist_dir = "/usr/share/datasets/fashion-mnist";  ///< IDX .gz files
  std::string hierarchy_dir;       ///< where <name>.yaml hierarchies live; empty = built-in configs/hierarchies
  // Synthetic hierarchical Gaussian mixture (dataset "synthetic/<name>").
  int synthetic_coarse = 3;        ///< superclasses
  int synthetic_fine = 3;          ///< subclasses per superclass
  int synthetic_dim = 32;          ///< feature dimension
  int synthetic_train_per_fine = 200;
  int synthetic_test_per_fine = 100;
  double synthetic_separation = 8.0;  ///< distance scale between subclass means (noise sd 1)
  int synthetic_seed = 0;          ///< seed of the mixture's centres and samples (>= 0)
  // SynthClust (dataset "synthetic/synthclust"): x in R^500, 30 centroids of five
  // ones each (disjoint supports), 2 classes x 15 clusters, Gaussian noise.
  int synthclust_train_per_cluster = 100;
  int synthclust_test_per_cluster = 50;
  double synthclust_noise = 0.4;   ///< noise standard deviation
  std::string cifar10_dir;         ///< CIFAR-10 binary version (data_batch_*.bin, test_batch.bin)
  std::string cifar100_dir;        ///< CIFAR-100 binary version (train.bin, test.bin)
  std::string image_dir;           ///< image folders: <image_dir>/{train,test}/<fine class>/*.png|jpg
  int image_size = 32;             ///< image-folder samples are resized to image_size^2, 3 channels
};

/// What a run of the grid is made of: its axes, its sections with what it
/// resolved from them, and the content of its inputs. Everything here that
/// can change its result is part of its id (resolved_run_yaml).
/// `extract.layers` is resolved to the architecture's probe point names (never "all").
struct RunFields {
  std::string dataset, architecture, normalization, pretraining;
  int seed = 0;
  std::string labels = "coarse";  ///< coarse | fine: the training targets
  /// The pretraining run whose final weights this run starts from (its id), or
  /// empty. A pretraining run is an ordinary run of the plan (pretraining none,
  /// labels and dataset from the `fine:`/`coarse:` spec), trained once.
  std::string parent_id;
  /// The TorchScript file of `torchscript:<path>` pretraining, else empty,
  /// and the hash of its content (part of the id: a changed file is a new run).
  std::string torchscript_path, torchscript_hash;
  /// Hash of data_identity(dataset, data): the hierarchy as used and the data
  /// files' identities (part of the id: edited or replaced inputs make a new run).
  std::string data_hash;
  /// Hash of training_data_identity(dataset, data, labels == "fine"): what of
  /// the data reaches the weights (not part of the id; see training_run_yaml).
  std::string training_data_hash;
  /// Epochs whose activations are stored, ascending, 0 first ("last" resolved).
  std::vector<int> extract_epochs{0};
  /// Augmentations applied in training, resolved ("auto" replaced): crop, flip.
  std::vector<std::string> augment;
  TrainConfig train;
  ExtractConfig extract;
  DataConfig data;
};

/// Local. The fields of `run` that determine its results, as YAML text in a
/// fixed key order: what its id hashes and its activations file records.
std::string resolved_run_yaml(const RunFields& run);

/// Local. The fields of `run` that determine its network's weights, as YAML
/// text in a fixed key order: its training identity. Not the hierarchy's
/// names, the probe set or the extraction settings (those are its analysis),
/// and the pretraining run by what it trained (`parent_training_id`: that
/// run's training identity hash, or empty without one). Runs with the same
/// text train the same network, so a study trains it once.
std::string training_run_yaml(const RunFields& run, const std::string& parent_training_id);

}  // namespace cp

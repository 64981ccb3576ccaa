#pragma once
// A two-level label hierarchy: superclasses made of fine classes (subclasses).
#include <string>
#include <vector>

namespace cp {

struct Hierarchy {
  std::string name;
  std::vector<std::string> fine_names;        ///< all fine classes of the dataset, by fine label
  std::vector<std::string> coarse_names;      ///< superclass names, by coarse label
  std::vector<std::vector<int>> subclasses;   ///< coarse label -> its fine labels (sorted)
  std::vector<int> fine_to_coarse;            ///< fine label -> coarse label, -1 if unused

  int num_coarse() const { return static_cast<int>(coarse_names.size()); }
  int num_fine() const { return static_cast<int>(fine_names.size()); }
  /// Fine classes that belong to some superclass.
  int num_used_fine() const;
};

/// The classes of a dataset, by label: what a hierarchy file's names must be.
struct DatasetClasses {
  std::string dataset;             ///< e.g. "Fashion-MNIST", for messages
  std::vector<std::string> names;  ///< label -> class name
};

/// Local. Loads a hierarchy file:
///   name: pairs-similar
///   classes: [T-shirt/top, Trouser, ...]      # fine names, by label
///   superclasses:                             # ordered map: name -> fine classes
///     tops: [T-shirt/top, Shirt]              # by name or by label
/// or in the BREEDS form, without `classes`: the fine classes are then the
/// subclasses named under `superclasses`, labelled in order of appearance
/// (image folders are named after them):
///   name: living-9
///   superclasses:
///     dog: [beagle, collie]
/// With `dataset`, every name (in `classes` and the superclasses) must be one
/// of its classes, and the hierarchy is labelled by the dataset's labels:
/// classes are matched by name, so the order of `classes` does not matter and
/// fine_names become the dataset's names. Without it (image folders, named
/// after the hierarchy's classes) the file's order defines the labels.
/// Throws InputError naming file, line and key when a class is unknown (to the
/// file or the dataset, whose classes it lists), used twice, or a superclass
/// is empty.
Hierarchy load_hierarchy(const std::string& path, const DatasetClasses* dataset = nullptr);

/// Local. Same from YAML text; `origin` names it in error messages.
Hierarchy parse_hierarchy(const std::string& yaml_text, const std::string& origin,
                          const DatasetClasses* dataset = nullptr);

}  // namespace cp

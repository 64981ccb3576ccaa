// Label hierarchies: the built-in Fashion-MNIST pairings and every rejected file.
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/data/hierarchy.hpp"

namespace {

cp::Hierarchy builtin(const std::string& name) {
  return cp::load_hierarchy(cp::hierarchy_path(name, cp::DataConfig{}));
}

int label(const cp::Hierarchy& h, const std::string& fine_name) {
  const auto it = std::find(h.fine_names.begin(), h.fine_names.end(), fine_name);
  EXPECT_NE(it, h.fine_names.end()) << fine_name;
  return static_cast<int>(it - h.fine_names.begin());
}

bool same_superclass(const cp::Hierarchy& h, const std::string& a, const std::string& b) {
  return h.fine_to_coarse[label(h, a)] == h.fine_to_coarse[label(h, b)];
}

const std::string kClasses = "name: test\nclasses: [a, b, c, d]\nsuperclasses:\n";  // lines 1-3

// The InputError's message must start with "h.yaml:<line>: <key>: " and mention `problem`.
void expect_error(const std::string& superclasses, int line, const std::string& key,
                  const std::string& problem, const std::string& head = kClasses) {
  try {
    cp::parse_hierarchy(head + superclasses, "h.yaml");
    ADD_FAILURE() << "no InputError for\n" << head + superclasses;
  } catch (const cp::InputError& e) {
    const std::string msg = e.what();
    const std::string prefix = "h.yaml:" + std::to_string(line) + ": " + key + ": ";
    EXPECT_EQ(msg.rfind(prefix, 0), 0u) << msg << "\nexpected prefix: " << prefix;
    EXPECT_NE(msg.find(problem), std::string::npos) << msg << "\nexpected: " << problem;
  }
}

}  // namespace

TEST(Hierarchy, BuiltinPairingsPartitionFashionMnist) {
  const std::vector<std::string> fmnist{"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                        "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                        "Bag",         "Ankle boot"};
  for (const char* name : {"pairs-similar", "pairs-unrelated"}) {
    SCOPED_TRACE(name);
    const cp::Hierarchy h = builtin(name);
    EXPECT_EQ(h.name, name);
    EXPECT_EQ(h.fine_names, fmnist);
    ASSERT_EQ(h.num_coarse(), 5);
    EXPECT_EQ(h.num_used_fine(), 10);
    std::vector<int> seen;
    for (int c = 0; c < h.num_coarse(); ++c) {
      ASSERT_EQ(h.subclasses[c].size(), 2u);
      EXPECT_LT(h.subclasses[c][0], h.subclasses[c][1]);  // sorted
      for (int f : h.subclasses[c]) {
        EXPECT_EQ(h.fine_to_coarse[f], c);
        seen.push_back(f);
      }
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  }
}

TEST(Hierarchy, PairsAreTheIntendedOnes) {
  const cp::Hierarchy similar = builtin("pairs-similar");
  EXPECT_EQ(similar.coarse_names,
            (std::vector<std::string>{"tops", "outerwear", "shoes", "long", "accessories"}));
  EXPECT_EQ(similar.subclasses[0], (std::vector<int>{0, 6}));  // T-shirt/top, Shirt
  EXPECT_TRUE(same_superclass(similar, "Pullover", "Coat"));
  EXPECT_TRUE(same_superclass(similar, "Sandal", "Sneaker"));
  EXPECT_TRUE(same_superclass(similar, "Trouser", "Dress"));
  EXPECT_TRUE(same_superclass(similar, "Bag", "Ankle boot"));

  const cp::Hierarchy unrelated = builtin("pairs-unrelated");
  EXPECT_TRUE(same_superclass(unrelated, "T-shirt/top", "Sandal"));
  EXPECT_TRUE(same_superclass(unrelated, "Trouser", "Shirt"));
  EXPECT_TRUE(same_superclass(unrelated, "Pullover", "Sneaker"));
  EXPECT_TRUE(same_superclass(unrelated, "Dress", "Bag"));
  EXPECT_TRUE(same_superclass(unrelated, "Coat", "Ankle boot"));
}

TEST(Hierarchy, ClassesByLabelAndUnusedClasses) {
  const cp::Hierarchy h = cp::parse_hierarchy(kClasses + "  x: [3, a]\n", "h.yaml");
  EXPECT_EQ(h.subclasses, (std::vector<std::vector<int>>{{0, 3}}));
  EXPECT_EQ(h.fine_to_coarse, (std::vector<int>{0, -1, -1, 0}));
  EXPECT_EQ(h.num_used_fine(), 2);
  EXPECT_EQ(h.num_fine(), 4);
}

TEST(Hierarchy, RejectsUnknownClass) {
  expect_error("  x: [a, b]\n  y: [c, e]\n", 5, "superclasses.y",
               "unknown class 'e' (classes: a, b, c, d)");
  expect_error("  x: [a, 4]\n", 4, "superclasses.x", "unknown class '4'");
}

TEST(Hierarchy, RejectsDuplicateClass) {
  expect_error("  x: [a, b]\n  y:\n    - c\n    - b\n", 7, "superclasses.y",
               "class 'b' is already in superclass 'x'");
  expect_error("  x: [a, 0]\n", 4, "superclasses.x", "class 'a' listed twice");
  expect_error("  x: [a]\n", 2, "classes", "duplicate value 'a'",
               "name: t\nclasses: [a, b, a]\nsuperclasses:\n");
  expect_error("  x: [a]\n  x: [b]\n", 5, "superclasses.x", "duplicate key");
}

TEST(Hierarchy, RejectsEmptySuperclass) {
  expect_error("  x: [a]\n  y: []\n", 5, "superclasses.y", "empty superclass");
  expect_error("  x:\n  y: [a]\n", 4, "superclasses.x", "empty superclass");
  expect_error("", 3, "superclasses", "must name at least one superclass");
}

TEST(Hierarchy, RejectsMalformedFiles) {
  expect_error("  x: [a]\n", 1, "colour", "unknown key",
               "colour: red\nname: t\nclasses: [a]\nsuperclasses:\n");
  expect_error("  x: [a]\n", 1, "name", "missing required key", "superclasses:\n");
  expect_error("  x: {a: 1}\n", 4, "superclasses.x", "expected a list, got a mapping");
  EXPECT_THROW(cp::load_hierarchy("/nonexistent/h.yaml"), cp::InputError);
}

TEST(Hierarchy, UnknownNameListsTheAvailableOnes) {
  try {
    cp::hierarchy_path("pairs-similarr", cp::DataConfig{});
    FAIL() << "no error";
  } catch (const cp::ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown hierarchy 'pairs-similarr'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("pairs-similar, pairs-unrelated"), std::string::npos) << msg;
  }
  EXPECT_THROW(cp::hierarchy_path("../hierarchies/pairs-similar", cp::DataConfig{}),
               cp::ConfigError);
  cp::DataConfig elsewhere;
  elsewhere.hierarchy_dir = "/nonexistent";
  EXPECT_THROW(cp::hierarchy_path("pairs-similar", elsewhere), cp::ConfigError);
}

TEST(Hierarchy, BreedsFormListsSubclassesOnly) {
  // No `classes`: fine labels follow the order of appearance; members are names.
  const cp::Hierarchy h = cp::parse_hierarchy(
      "name: b\nsuperclasses:\n  dog: [collie, beagle]\n  cat: [tabby, \"0\"]\n", "h.yaml");
  EXPECT_EQ(h.fine_names, (std::vector<std::string>{"collie", "beagle", "tabby", "0"}));
  EXPECT_EQ(h.subclasses, (std::vector<std::vector<int>>{{0, 1}, {2, 3}}));
  EXPECT_EQ(h.fine_to_coarse, (std::vector<int>{0, 0, 1, 1}));
  const std::string head = "name: t\nsuperclasses:\n";
  expect_error("  x: [a, b]\n  y: [b]\n", 4, "superclasses.y",
               "class 'b' is already in superclass 'x'", head);
  expect_error("  x: [a, a]\n", 3, "superclasses.x", "class 'a' listed twice", head);
  expect_error("  x: []\n", 3, "superclasses.x", "empty superclass", head);
}

TEST(Hierarchy, BuiltinCifarAndBreedsFiles) {
  const cp::Hierarchy pairs = builtin("cifar10-pairs");
  EXPECT_EQ(pairs.fine_names[0], "airplane");
  EXPECT_EQ(pairs.fine_names[9], "truck");
  ASSERT_EQ(pairs.num_fine(), 10);
  for (int f = 0; f < 10; ++f) EXPECT_EQ(pairs.fine_to_coarse[f], f / 2) << f;  // fine // 2

  const cp::Hierarchy breeds = builtin("fmnist-breeds");
  EXPECT_EQ(breeds.fine_names, builtin("pairs-similar").fine_names);
  EXPECT_EQ(breeds.coarse_names, (std::vector<std::string>{"clothing", "other"}));
  EXPECT_EQ(breeds.subclasses, (std::vector<std::vector<int>>{{0, 2, 3, 4, 6}, {1, 5, 7, 8, 9}}));
}

// Issue 21, item 6: names are matched to the dataset's classes, never by
// position; a name the dataset lacks names file, line and the dataset's classes.
TEST(Hierarchy, BoundToTheDatasetByName) {
  const cp::DatasetClasses letters{"Letters", {"a", "b", "c", "d"}};
  const std::string reordered = "name: t\nclasses: [d, c, b, a]\nsuperclasses:\n  x: [a, 0]\n  y: [b, c]\n";
  const cp::Hierarchy h = cp::parse_hierarchy(reordered, "h.yaml", &letters);
  EXPECT_EQ(h.fine_names, letters.names);                          // the dataset's labels
  EXPECT_EQ(h.subclasses, (std::vector<std::vector<int>>{{0, 3}, {1, 2}}));  // "0" is the file's first: d
  EXPECT_EQ(h.fine_to_coarse, (std::vector<int>{0, 1, 1, 0}));
  // Fewer classes than the dataset: the others are unused, not mislabelled.
  const cp::Hierarchy few = cp::parse_hierarchy("name: t\nclasses: [c, a]\nsuperclasses:\n  x: [a, c]\n", "h.yaml",
                                                &letters);
  EXPECT_EQ(few.fine_to_coarse, (std::vector<int>{0, -1, 0, -1}));
  EXPECT_EQ(few.subclasses, (std::vector<std::vector<int>>{{0, 2}}));
  // The BREEDS form: the names under the superclasses.
  const cp::Hierarchy breeds = cp::parse_hierarchy("name: t\nsuperclasses:\n  x: [d, b]\n", "h.yaml", &letters);
  EXPECT_EQ(breeds.fine_to_coarse, (std::vector<int>{-1, 0, -1, 0}));
  for (const auto& [text, line, key] : std::vector<std::tuple<std::string, int, std::string>>{
           {"name: t\nclasses: [a, b,\n  bb]\nsuperclasses:\n  x: [a, b]\n", 3, "classes"},
           {"name: t\nsuperclasses:\n  x: [a, b]\n  y: [c, bb]\n", 4, "superclasses.y"}}) {
    try {
      cp::parse_hierarchy(text, "h.yaml", &letters);
      ADD_FAILURE() << "no InputError for\n" << text;
    } catch (const cp::InputError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind("h.yaml:" + std::to_string(line) + ": " + key + ": ", 0), 0u) << msg;
      EXPECT_NE(msg.find("'bb' is not a class of Letters (did you mean 'b'?); its classes: a, b, c, d"),
                std::string::npos)
          << msg;
    }
  }
}

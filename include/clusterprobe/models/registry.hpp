#pragma once
// Names the model zoo answers to, without LibTorch: the study file is
// validated against these before any training starts.
//
// Architecture names (the grammar; a test checks every family):
//   mlp, cnn                       the small baselines
//   resnet<6n+2>[-w<k>]            CIFAR-style ResNet (resnet8, resnet20, resnet32, ...),
//                                  3 stages of n basic blocks, widths 16k/32k/64k
//   resnet18[-w<k>]                ResNet-18 (basic blocks [2,2,2,2], 3x3 stem for small images)
//   vgg11|vgg13|vgg16|vgg19[-w<k>] VGG-style CNN, 5 stages, channel widths scaled by k
//   vit[-p<patch>][-d<depth>][-w<width>][-h<heads>][-cls|-mean]
//                                  Vision Transformer (defaults p4 d6 w128 h4 cls)
//   torchscript                    a model from a TorchScript file (pretraining
//                                  torchscript:<path>); its probe points are known only
//                                  once the file is loaded
// k is a positive number (e.g. 2, 0.5).
#include <string>
#include <vector>

namespace cp {

/// The architecture families, as shown in error messages.
const std::vector<std::string>& architecture_families();

/// Local. Throws ConfigError naming `name` and the grammar if it is not an
/// architecture of the zoo.
void check_architecture(const std::string& name);

bool is_known_architecture(const std::string& name);

/// True for "torchscript": probe points come from the loaded file.
bool is_scripted_architecture(const std::string& name);

const std::vector<std::string>& known_normalizations();  ///< batch, layer, group, none

/// The normalizations an architecture takes: all four for MLP and conv nets,
/// layer | batch | none for the ViT, all four for torchscript (ignored there).
std::vector<std::string> normalizations_for(const std::string& architecture);

/// Probe points of an architecture in forward order: "input" (the raw input),
/// every block's output, the penultimate features, "logits".
/// Throws ConfigError for an unknown architecture; for torchscript returns
/// {"input", "output", "logits"} (the file's named submodules come in between).
std::vector<std::string> probe_points(const std::string& architecture);

/// The probe point holding the penultimate features (the neural-collapse layer).
std::string penultimate_point(const std::string& architecture);

}  // namespace cp

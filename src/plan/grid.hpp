#pragma once
// Grid expansion: private to src/plan.
#include "clusterprobe/plan/plan.hpp"

namespace cp::detail {

/// Local. Fills plan.runs and plan.skipped from plan.study (names already checked).
void expand_into(Plan& plan);

}  // namespace cp::detail

#pragma once
// The report page's frame: its sections in order (summary or counts,
// references, findings, factor effects, runs grouped by two axes, figures,
// what is not complete, every run), as terminal text, markdown and HTML.
// Private to src/report.
#include <string>
#include <vector>

#include "clusterprobe/report/effects.hpp"
#include "clusterprobe/report/report.hpp"
#include "clusterprobe/report/table.hpp"
#include "pivot.hpp"

namespace cp::detail {

/// The summary's columns; with `references`, a role column after the run.
Table summary_table(bool references = false);

// What the page is made of besides the runs' own sections.
struct PageParts {
  Table summary = summary_table();
  Table references = summary_table(true);  ///< pretraining parents and fine-label runs
  Table missing{{}};
  std::vector<std::string> findings;  ///< one sentence each, with its verdict
  std::vector<Pivot> pivots;  ///< the main outcome by two axes at a time

  void add(std::vector<std::string> row, const std::string& role) {
    if (role.empty()) return summary.add_row(std::move(row));
    row.insert(row.begin() + 1, role);
    references.add_row(std::move(row));
  }
};

/// Local. Fills `out`'s terminal text, markdown and HTML around the runs'
/// own sections (already in `out`, and `runs_html`).
void assemble(ReportText& out, const ReportInputs& in, PageParts parts, const std::string& main,
              const std::vector<EffectSet>& sets, const std::string& runs_html);

}  // namespace cp::detail

#include "page.hpp"

#include <array>
#include <map>

#include "clusterprobe/io/output_layout.hpp"
#include "page_script.hpp"

namespace cp::detail {
namespace {

std::string missing_title(const Table& t) {
  return "Not complete: " + std::to_string(t.rows()) + " run(s) or item(s)";
}

// The page around the report's parts: self-contained (no script, font or
// style sheet from elsewhere), so it opens offline wherever it is copied.
std::string html_page(const std::string& body) {
  std::string note;
  const std::string script = sortable_tables_script(note);
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<title>ClusterProbe report</title>\n<style>\n"
         "body{font-family:sans-serif;margin:2em;max-width:80em;color:#222}\n"
         "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:0.2em 0.6em;"
         "text-align:right}th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}\n"
         "figure{margin:1em 0 2em}figcaption{font-size:0.95em;color:#444}.reading{font-style:italic}\n"
         ".note{background:#fff4d6;padding:0.5em}\n"
         // tablesorter's filter marks the rows it hides; its themes' CSS is not inlined, this is all it needs.
         ".scroll{max-height:40em;overflow:auto}table.tablesorter tr.filtered{display:none}table.tablesorter thead th{cursor:pointer}"
         "table.tablesorter input.tablesorter-filter{width:100%;box-sizing:border-box}\n</style>\n</head>\n<body>\n" +
         (note.empty() ? "" : "<p class=\"note\">" + html_escape(note) + "</p>\n") + body + script +
         "</body>\n</html>\n";
}

// The references' section: title, text, markdown, HTML; empty without any.
std::array<std::string, 3> references_section(const Table& t) {
  if (t.empty()) return {};
  const std::string title = "Pretraining parents and fine-label references";
  const std::string why = "What the children started from, and the fine-label accuracy that e2e accuracy is compared "
                          "with; not levels in the factor effects.";
  return {title + "\n" + t.text() + "\n", "## " + title + "\n\n" + why + "\n\n" + t.markdown() + "\n",
          "<h2>" + title + "</h2>\n<p>" + why + "</p>\n<div class=\"scroll\">" + t.html() + "</div>\n"};
}

// The runs by two axes at a time: markdown and HTML; empty without two varied axes.
std::array<std::string, 2> pivots_section(const std::vector<Pivot>& pivots) {
  if (pivots.empty()) return {};
  const std::string why = "Mean AMI of the penultimate layer over the runs in each cell (their count in "
                          "brackets), two grid axes at a time; the interaction heat maps among the figures show "
                          "where a cell departs from what the two axes' own effects predict.";
  std::string md = "## Runs grouped by two axes\n\n" + why + "\n\n", html = "<h2>Runs grouped by two axes</h2>\n<p>" +
                                                                        html_escape(why) + "</p>\n";
  for (const auto& p : pivots) {
    md += "### " + p.row_axis + " by " + p.column_axis + "\n\n" + p.table.markdown() + "\n";
    html += "<h3>" + html_escape(p.row_axis + " by " + p.column_axis) + "</h3>\n" + p.table.html();
  }
  return {md, html};
}

// Beyond this many rows the summary table moves below the figures.
constexpr std::size_t kMaxSummaryFirst = 30;

// "2004 runs: 2000 complete, 4 failed (listed under Not complete); every run
// is in the table below the figures".
std::string status_counts(const std::vector<RunStatus>& runs, std::size_t rows) {
  std::map<std::string, int> by_phase;
  for (const auto& r : runs) ++by_phase[phase_name(r.status)];
  std::string out = std::to_string(std::max(rows, runs.size())) + " runs";
  std::string sep = ": ";
  for (const char* phase : {"complete", "failed", "running", "pending"})
    if (by_phase.count(phase)) {
      out += sep + std::to_string(by_phase[phase]) + " " + phase;
      sep = ", ";
    }
  return out + ". Every run is in the table after the figures (in the page: sortable, and filterable by column).";
}

// The Findings section: title, text, markdown, HTML; empty without findings.
std::array<std::string, 3> findings_section(const std::vector<std::string>& sentences) {
  if (sentences.empty()) return {};
  const std::string why = "What the study file says it reproduces (findings:), each with what was measured here "
                          "and a verdict: reproduced or contradicted only where the comparison is clear.";
  std::string text = "\nfindings\n", md = "## Findings\n\n" + why + "\n\n", html = "<h2>Findings</h2>\n<p>" +
                                                                             html_escape(why) + "</p>\n<ul>\n";
  for (const auto& s : sentences) {
    text += "- " + s + "\n";
    md += "- " + s + "\n";
    html += "<li>" + html_escape(s) + "</li>\n";
  }
  return {text, md + "\n", html + "</ul>\n"};
}

// The page's frame around the parts: summary, references, factor effects,
// figures, what is not complete, then each run.
}  // namespace

Table summary_table(bool references) {
  std::vector<std::string> header{"run", "dataset", "arch", "norm", "labels", "pretraining", "status", "coarse acc",
                                  "fine acc", "best layer", "AMI", "penult. AMI*", "e2e acc*", "input AMI"};
  if (references) header.insert(header.begin() + 1, "role");
  return Table(header);
}

void assemble(ReportText& out, const ReportInputs& in, PageParts tables, const std::string& main,
              const std::vector<EffectSet>& sets, const std::string& runs_html) {
  Table& summary = tables.summary;
  const Table& missing = tables.missing;
  const bool fine_shown = !summary.drop_blank_column("fine acc");
  // What needs attention first: failed, then unfinished, then complete runs.
  summary.order_rows(6, [](const std::string& phase) {
    return phase == "failed" ? 0 : phase == "running" ? 1 : phase == "pending" ? 2 : phase == "complete" ? 3 : 4;
  });
  tables.references.drop_blank_column("fine acc");
  const auto refs = references_section(tables.references);
  const auto found = findings_section(tables.findings);
  const auto grouped = pivots_section(tables.pivots);
  // What makes the numbers below not the study's comes before them.
  std::string notes, notes_md, notes_html;
  for (const auto& n : in.notes) {
    notes += "NOTE: " + n + "\n";
    notes_md += "> **Note:** " + n + "\n\n";
    notes_html += "<p class=\"note\">" + html_escape(n) + "</p>\n";
  }
  const std::string legend =
      "AMI: mean over superclasses of " + main + " (k = subclasses) vs subclass labels; acc within: "
      "Hungarian-matched accuracy inside each true superclass; e2e acc: network's coarse prediction, "
      "then nearest subclass centre; *: penultimate layer; CKA vs final: linear CKA of epoch 0 with the last epoch" +
      std::string(fine_shown ? "; fine acc: test accuracy of a network trained on the fine labels (compare with e2e "
                               "acc of the coarse-trained one)"
                             : "") +
      ".\n";
  std::string said, said_html;
  for (const auto& sentence : effect_sentences(sets)) {
    said += "- " + sentence + "\n";
    said_html += "<li>" + html_escape(sentence) + "</li>\n";
  }
  const std::string method =
      std::string("Per axis, a permutation test that its levels differ; then the mean difference between two levels "
                  "over runs matched on every other axis (seed included), with a sign-flip permutation p-value "
                  "Holm-adjusted over every comparison of the same outcome, and a bootstrap interval widened to the "
                  "same step (its level is stated). A difference is called clear only when the adjusted p is below "
                  "0.05 and its interval excludes 0; the largest come first. Every level's mean and interquartile "
                  "mean is in ") +
      OutputLayout::kEffectsCsvName + ".";
  // Beyond a few dozen runs the table of every run would bury the rest: the
  // page opens with the counts, and the table (sortable) follows the figures.
  const bool compact = summary.rows() > kMaxSummaryFirst;
  const std::string counts = status_counts(in.runs, summary.rows());
  const std::string table_md = summary.markdown() + "\n" + legend;
  const std::string table_html = "<div class=\"scroll\">" +
                                 summary.html("id=\"runs\" class=\"" + std::string(kSortableClass) + "\"") +
                                 "</div>\n<p>" + html_escape(legend) + "</p>\n";
  out.terminal += notes + "summary\n" + (compact ? counts + "\n" : summary.text() + legend + refs[0]) + found[0] +
                  "\nfactor effects (Holm-adjusted over the comparisons: the report says how)\n" + said +
                  "\n" + (missing.empty() ? "" : missing_title(missing) + "\n" + missing.text() + "\n");
  const std::string missing_md = missing.empty() ? "" : "## " + missing_title(missing) + "\n\n" + missing.markdown() + "\n";
  const std::string effects_md = "## Factor effects\n\n" + method + "\n\n" + said + "\n" + grouped[0];
  out.markdown = "# ClusterProbe report\n\n" + notes_md + "## Summary\n\n" +
                 (compact ? counts + "\n\n" + found[1] + effects_md + missing_md + refs[1] + "## All runs\n\n" + table_md
                          : table_md + "\n" + refs[1] + found[1] + effects_md + missing_md) +
                 "## Runs\n\n" + out.markdown;
  const std::string effects_html = "<h2>Factor effects</h2>\n<p>" + html_escape(method) + "</p>\n<ul>\n" + said_html +
                                   "</ul>\n" + grouped[1] + "<h2>Figures</h2>\n" + kFiguresMark + "\n" +
                                   (missing.empty() ? "" : "<h2>" + html_escape(missing_title(missing)) + "</h2>\n" +
                                                               missing.html());
  out.html = html_page("<h1>ClusterProbe report</h1>\n" + notes_html + "<h2>Summary</h2>\n" +
                       (compact ? "<p>" + html_escape(counts) + "</p>\n" + found[2] + effects_html + refs[2] +
                                      "<h2>All runs</h2>\n" + table_html
                                : table_html + refs[2] + found[2] + effects_html) +
                       "<h2>Runs</h2>\n" + runs_html);
}

}  // namespace cp::detail

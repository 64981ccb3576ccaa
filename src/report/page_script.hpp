#pragma once
// The runs table's sorting and filtering: Debian's jQuery and tablesorter
// (with its filter widget), inlined so that the page opens offline, with no
// network. Private to src/report.
#include <string>

namespace cp::detail {

/// The class the page's sortable tables carry.
inline constexpr const char* kSortableClass = "tablesorter";

/// Local. <script> elements that make every table of class kSortableClass
/// sortable by clicking a header and filterable by a text box per column;
/// empty, with `note` set, when the libraries are not installed (the table
/// is then plain).
std::string sortable_tables_script(std::string& note);

}  // namespace cp::detail

#include "page_script.hpp"

#include <fstream>
#include <sstream>

#include "clusterprobe/build_config.hpp"

namespace cp::detail {
namespace {

// The file's text, or empty when it cannot be read.
std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Inline, a script must not hold "</script": the page's parser would end it there.
std::string inline_script(std::string js) {
  for (std::size_t at = js.find("</script"); at != std::string::npos; at = js.find("</script", at + 2))
    js.replace(at, 2, "<\\/");
  return "<script>\n" + js + "\n</script>\n";
}

}  // namespace

std::string sortable_tables_script(std::string& note) {
  const std::string dir = CLUSTERPROBE_JS_DIR;
  const std::string jquery = read_text(dir + "/jquery/jquery.min.js");
  // The combined build holds the filter widget: one file, no loader.
  const std::string sorter = read_text(dir + "/jquery-tablesorter/js/jquery.tablesorter.combined.min.js");
  if (jquery.empty() || sorter.empty()) {
    note = "The runs table is not sortable here: " + dir + " lacks jQuery or tablesorter (Debian's libjs-jquery and "
           "libjs-jquery-tablesorter; scripts/setup.sh installs them).";
    return {};
  }
  return inline_script(jquery) + inline_script(sorter) +
         inline_script(std::string("$(function () { $('table.") + kSortableClass +
                       "').tablesorter({ widgets: ['filter'], widgetOptions: { filter_ignoreCase: true, "
                       "filter_placeholder: { search: 'filter' } } }); });");
}

}  // namespace cp::detail

#pragma once
// The report's figures: each one's data and gnuplot script are written beside
// it (report/fig/<name>.{dat,gp}) so that a user can restyle and re-render it,
// and gnuplot (Debian's gnuplot-nox, SVG terminal) draws <name>.svg, which the
// HTML report inlines. Without gnuplot the data and scripts are still written
// and the report says in one line how to render them.
#include <string>
#include <vector>

namespace cp {

struct Figure {
  std::string name;     ///< file stem: report/fig/<name>.{dat,gp,svg}
  std::string title;    ///< the caption in the HTML
  std::string reading;  ///< its one-sentence reading, or empty
  std::string data;     ///< <name>.dat: whitespace-separated blocks (gnuplot's index)
  std::string script;   ///< <name>.gp: reads <name>.dat, writes <name>.svg (relative names)
};

struct RenderedFigures {
  std::vector<std::string> svgs;  ///< per figure, the SVG text; empty where none was drawn
  std::string note;               ///< one line when gnuplot is missing or failed, else empty
};

/// Seconds gnuplot may take on one figure before it is killed (its process
/// group) and the figure reported missing: a whole report's figures take
/// under a second here, so only a hung gnuplot (or wrapper) reaches it.
/// $CLUSTERPROBE_GNUPLOT_TIMEOUT (seconds) overrides it.
inline constexpr double kGnuplotTimeoutSeconds = 60;

/// Local. Writes every figure's .dat and .gp under `fig_dir` (created) and
/// runs gnuplot in that directory on each: $CLUSTERPROBE_GNUPLOT, else
/// `gnuplot` on PATH, each within kGnuplotTimeoutSeconds. After one figure
/// fails or times out the others are not tried; the note says which and why.
/// Files are written under tmp names and renamed. `final_dir`: where the
/// files will be moved once the whole report is written (the note names it).
RenderedFigures render_figures(const std::string& fig_dir, const std::vector<Figure>& figures,
                               const std::string& final_dir = "");

/// Local. The HTML of the figures (inline SVG, caption, reading), or the note.
std::string figures_html(const std::vector<Figure>& figures, const RenderedFigures& rendered);

/// Local. `text` escaped for HTML.
std::string html_escape(const std::string& text);

}  // namespace cp

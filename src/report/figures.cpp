// Writing figure files and drawing them with gnuplot (see figures.hpp).
#include "clusterprobe/report/figures.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "clusterprobe/io/atomic_file.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

std::string gnuplot_binary() {
  const char* chosen = std::getenv("CLUSTERPROBE_GNUPLOT");
  return chosen && *chosen ? chosen : "gnuplot";
}

// Runs `gnuplot <script>` in `dir`; true when it exited 0. Its stderr goes to
// <dir>/gnuplot.log (gnuplot names the line of a script error there).
bool run_gnuplot(const std::string& binary, const fs::path& dir, const std::string& script) {
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    // gnuplot's warnings (a matrix with missing cells) belong to the figures, not the job log.
    const int log = open("gnuplot.log", O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (log >= 0) dup2(log, STDERR_FILENO);
    execlp(binary.c_str(), binary.c_str(), script.c_str(), static_cast<char*>(nullptr));
    _exit(127);  // not found: the caller says how to render later
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

RenderedFigures render_figures(const std::string& fig_dir, const std::vector<Figure>& figures) {
  RenderedFigures out;
  fs::create_directories(fig_dir);
  std::error_code ec;
  fs::remove(fs::path(fig_dir) / "gnuplot.log", ec);
  const std::string binary = gnuplot_binary();
  bool missing = false;
  for (const auto& f : figures) {
    const fs::path dir(fig_dir);
    write_file_atomically((dir / (f.name + ".dat")).string(), f.data);
    write_file_atomically((dir / (f.name + ".gp")).string(), f.script);
    std::string svg;
    // The script writes <name>.svg.tmp; only a finished drawing takes the final name.
    // gnuplot opens that name itself: it is made a fresh file of ours first (a
    // symlink planted there is removed, not followed) and checked afterwards.
    const fs::path tmp = dir / (f.name + ".svg.tmp");
    const int fd = create_new_file(tmp.string());
    if (fd >= 0) ::close(fd);
    if (!missing && fd >= 0 && run_gnuplot(binary, dir, f.name + ".gp")) {
      std::error_code ec;
      if (fs::is_regular_file(fs::symlink_status(tmp, ec))) fs::rename(tmp, dir / (f.name + ".svg"), ec);
      if (!ec) svg = read_file_text((dir / (f.name + ".svg")).string());
    } else {
      missing = true;
    }
    out.svgs.push_back(svg);
  }
  if (missing)
    out.note = "The figures were not drawn (" + binary + " is missing or failed here; see gnuplot.log): their data and scripts are in " +
               fig_dir + "; render them with `cd " + fig_dir + " && for f in *.gp; do gnuplot \"$f\"; done` " +
               "(each writes <name>.svg.tmp: rename it to <name>.svg).";
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string figures_html(const std::vector<Figure>& figures, const RenderedFigures& rendered) {
  std::string html;
  if (!rendered.note.empty()) html += "<p class=\"note\">" + html_escape(rendered.note) + "</p>\n";
  for (std::size_t i = 0; i < figures.size(); ++i) {
    const auto& f = figures[i];
    const std::string& svg = i < rendered.svgs.size() ? rendered.svgs[i] : std::string();
    html += "<figure id=\"fig-" + html_escape(f.name) + "\">\n";
    // The SVG file's XML prologue has no place inside an HTML document.
    const auto start = svg.find("<svg");
    if (start != std::string::npos) html += svg.substr(start) + "\n";
    html += "<figcaption>" + html_escape(f.title) +
            (f.reading.empty() ? "" : " <span class=\"reading\">" + html_escape(f.reading) + "</span>") +
            "</figcaption>\n</figure>\n";
  }
  return html;
}

}  // namespace cp

// Writing figure files and drawing them with gnuplot (see figures.hpp).
#include "clusterprobe/report/figures.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
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

// Seconds one figure may take: $CLUSTERPROBE_GNUPLOT_TIMEOUT, else
// kGnuplotTimeoutSeconds (figures.hpp).
double gnuplot_timeout() {
  const char* chosen = std::getenv("CLUSTERPROBE_GNUPLOT_TIMEOUT");
  if (!chosen || !*chosen) return kGnuplotTimeoutSeconds;
  char* end = nullptr;
  const double seconds = std::strtod(chosen, &end);
  return end && *end == '\0' && seconds > 0 ? seconds : kGnuplotTimeoutSeconds;
}

enum class Drawn { ok, failed, timed_out };

// Runs `gnuplot <script>` in `dir`. Its stderr goes to <dir>/gnuplot.log
// (gnuplot names the line of a script error there). A gnuplot that waits for
// ever (a terminal that blocks, a wrapper script that hangs) would hang the
// report: past `timeout` seconds its process group is killed.
Drawn run_gnuplot(const std::string& binary, const fs::path& dir, const std::string& script, double timeout) {
  const pid_t pid = fork();
  if (pid < 0) return Drawn::failed;
  if (pid == 0) {
    setpgid(0, 0);  // its own group: whatever it starts is killed with it
    if (chdir(dir.c_str()) != 0) _exit(127);
    // gnuplot's warnings (a matrix with missing cells) belong to the figures, not the job log.
    const int log = open("gnuplot.log", O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (log >= 0) dup2(log, STDERR_FILENO);
    execlp(binary.c_str(), binary.c_str(), script.c_str(), static_cast<char*>(nullptr));
    _exit(127);  // not found: the caller says how to render later
  }
  setpgid(pid, pid);  // also here: the child may not have run yet when it is killed
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  int status = 0;
  for (;;) {
    const pid_t got = waitpid(pid, &status, WNOHANG);
    if (got == pid) return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? Drawn::ok : Drawn::failed;
    if (got < 0 && errno != EINTR) return Drawn::failed;
    if (std::chrono::steady_clock::now() >= end) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return Drawn::timed_out;
}

}  // namespace

RenderedFigures render_figures(const std::string& fig_dir, const std::vector<Figure>& figures,
                               const std::string& final_dir) {
  RenderedFigures out;
  const std::string& shown = final_dir.empty() ? fig_dir : final_dir;
  fs::create_directories(fig_dir);
  std::error_code ec;
  fs::remove(fs::path(fig_dir) / "gnuplot.log", ec);
  const std::string binary = gnuplot_binary();
  const double timeout = gnuplot_timeout();
  bool missing = false;
  std::string timed_out;  // the figure whose drawing was killed
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
    const Drawn drawn = !missing && fd >= 0 ? run_gnuplot(binary, dir, f.name + ".gp", timeout) : Drawn::failed;
    if (drawn == Drawn::ok) {
      std::error_code ec;
      if (fs::is_regular_file(fs::symlink_status(tmp, ec))) fs::rename(tmp, dir / (f.name + ".svg"), ec);
      if (!ec) svg = read_file_text((dir / (f.name + ".svg")).string());
    } else {
      if (drawn == Drawn::timed_out) timed_out = f.name;
      missing = true;  // one that failed or hung: the next would most likely do the same
    }
    out.svgs.push_back(svg);
  }
  char limit[32];
  std::snprintf(limit, sizeof limit, "%g", timeout);
  const std::string why = timed_out.empty()
                              ? binary + " is missing or failed here; see gnuplot.log"
                              : binary + " timed out on " + timed_out + " (killed after " + limit +
                                    " s, CLUSTERPROBE_GNUPLOT_TIMEOUT), and the figures after it were not tried";
  if (missing)
    out.note = "The figures were not drawn (" + why + "): their data and scripts are in " +
               shown + "; render them with `cd " + shown + " && for f in *.gp; do gnuplot \"$f\"; done` " +
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

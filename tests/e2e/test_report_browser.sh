# The HTML report in a real browser (Debian's headless Chromium through
# Selenium): every figure drawn, no console error, a number on the page equal
# to metrics.csv, and the runs table sorted by a click and filtered by a level. Without gnuplot the report still writes every
# figure's data and script and says how to render them.
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out"
# The same overrides for every command: the report shows the study they make.
settings=("grid.seed=[0, 1]" "extract.epochs=[1, last]" "cluster.methods=[kmeans, ssc]" "metrics=[ami, accuracy, cka, community]")
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" "${settings[@]}" > "$WORK/log" 2>&1 || { cat "$WORK/log"; die "run failed"; }
[ -f "$WORK/out/report/index.html" ] || die "no report/index.html"
"$CP_PYTHON" - "$WORK/out" <<'PY' || die "the report does not render as it should"
import csv, sys
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

out = sys.argv[1]
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + out + "/chromium-profile"]:
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.get("file://" + out + "/report/index.html")
    figures = driver.find_elements(By.TAG_NAME, "figure")
    ids = {f.get_attribute("id") for f in figures}
    for want in ["fig-ami_by_layer", "fig-e2e_by_layer", "fig-ami_by_epoch", "fig-affinity_by_layer",
                 "fig-modularity_by_layer", "fig-cka_vs_final_by_epoch", "fig-effects_ami_penultimate"]:
        assert want in ids, (want, sorted(ids))
    assert any(i.startswith("fig-heatmap_") and i.endswith("_linear_cka_layers") for i in ids), sorted(ids)
    for f in figures:
        marks = f.find_elements(By.CSS_SELECTOR, "svg path, svg polyline, svg line, svg circle, svg use")
        size = f.find_element(By.TAG_NAME, "svg").size
        assert len(marks) > 10 and size["width"] > 100 and size["height"] > 100, \
            "figure %s drew %d marks at %s" % (f.get_attribute("id"), len(marks), size)
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    # The summary's AMI column shows each run's best layer's mean AMI: equal to metrics.csv.
    table = driver.find_element(By.ID, "runs")
    header = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead tr.tablesorter-headerRow th")]
    def shown_rows():
        return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr") if tr.is_displayed()]
    rows = shown_rows()
    values = {}
    for r in csv.DictReader(open(out + "/metrics.csv")):
        if r["scope"] == "mean" and r["method"] == "kmeans" and r["metric"] == "ami":
            values[(r["run_id"], r["layer"], int(r["epoch"]))] = float(r["value"])
    checked = 0
    for row in rows:
        cell = dict(zip(header, row))
        last = max(e for (run, layer, e) in values if run == cell["run"])
        expected = values[(cell["run"], cell["best layer"], last)]
        assert abs(float(cell["AMI"]) - expected) < 5e-5, (cell, expected)
        checked += 1
    assert checked == 4, checked
    # Sorted by a click on a header (tablesorter, inlined from Debian's package): ascending, then descending.
    ami = header.index("AMI")
    heading = table.find_elements(By.CSS_SELECTOR, "thead tr.tablesorter-headerRow th")[ami]
    column = lambda: [float(r[ami]) for r in shown_rows()]
    assert sorted(column()) != column(), "the rows are already in ascending AMI order: the sort would prove nothing"
    heading.click()
    WebDriverWait(driver, 10).until(lambda d: column() == sorted(column()))
    heading.click()
    WebDriverWait(driver, 10).until(lambda d: column() == sorted(column(), reverse=True))
    # Filtered by a level: the rows shown are that level's runs in runs.csv.
    norm = header.index("norm")
    box = table.find_elements(By.CSS_SELECTOR, "thead tr.tablesorter-filter-row input")[norm]
    box.send_keys("layer")
    want = sum(1 for r in csv.DictReader(open(out + "/runs.csv")) if r["normalization"] == "layer")
    WebDriverWait(driver, 10).until(lambda d: len(shown_rows()) == want)
    assert all(r[norm] == "layer" for r in shown_rows()), shown_rows()
    assert want == 2, want
    print("browser: %d figures drawn, no console errors, %d AMI values equal metrics.csv, sorted both ways, "
          "filtered to %d rows" % (len(figures), checked, want))
finally:
    driver.quit()
PY
# No gnuplot: data and scripts still written, the page says how to render them.
rm -rf "$WORK/out/report"
CLUSTERPROBE_GNUPLOT=/nonexistent/gnuplot "$MPIEXEC" -n 2 "$CP_BIN" report "$WORK/study.yaml" "${settings[@]}" > "$WORK/log2" 2>&1 || { cat "$WORK/log2"; die "report without gnuplot failed"; }
ls "$WORK"/out/report/fig/*.gp > /dev/null && ls "$WORK"/out/report/fig/*.dat > /dev/null || die "no figure data or scripts"
! ls "$WORK"/out/report/fig/*.svg 2>/dev/null || die "an SVG without gnuplot"
grep -q "The figures were not drawn" "$WORK/out/report/index.html" || die "the page does not say how to render"
# The scripts render as written once gnuplot is there.
(cd "$WORK/out/report/fig" && for f in *.gp; do gnuplot "$f" || exit 1; done) || die "a figure script fails in gnuplot"
echo PASS

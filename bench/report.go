package bench

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Machine describes where a run happened.
type Machine struct {
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"` // the Go the harness was built with
}

// ThisMachine describes the machine the harness runs on; the CPU model and
// kernel are left empty where /proc is missing.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	m.CPUModel, m.Kernel = cpuModelAndKernel()
	return m
}

// Report is a whole run: every scenario against every target.
type Report struct {
	Started time.Time `json:"started"`
	Command string    `json:"command"`
	Machine Machine   `json:"machine"`
	Targets []string  `json:"targets"` // the first is the target, the others peers
	Results []*Result `json:"results"`
}

// find returns the result of scenario against target, or nil.
func (rep *Report) find(scenario, target string) *Result {
	for _, r := range rep.Results {
		if r.Scenario == scenario && r.Target == target {
			return r
		}
	}
	return nil
}

// scenarios returns the scenario names of the results, in run order.
func (rep *Report) scenarios() []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if !seen[r.Scenario] {
			seen[r.Scenario] = true
			names = append(names, r.Scenario)
		}
	}
	return names
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func statusList(m map[string]int64) string {
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%d", k, m[k])
	}
	return b.String()
}

// serverCols formats the server figures of r, or dashes.
func serverCols(r *Result) (cpu, rss string) {
	if r.Server == nil {
		return "-", "-"
	}
	return fmt.Sprintf("%.2f", r.Server.CPUSeconds), fmt.Sprintf("%.1f", mib(r.Server.PeakRSS))
}

// WriteTable writes the results as an aligned table for a terminal.
func (rep *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\ttarget\tconns\tok/s\tMB/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\tok\terrors\tcut\tclient cpu s\tserver cpu s\tserver peak MiB\tstatuses\t")
	for _, r := range rep.Results {
		cpu, rss := serverCols(r)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t%.2f\t%s\t%s\t%s\t\n",
			r.Scenario, r.Target, r.Conns, r.OKPerSec, r.MBPerSec, r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max,
			r.OK, r.Errors, r.Cut, r.ClientCPU, cpu, rss, statusList(r.Statuses))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("cannot write the table: %w", err)
	}
	for _, r := range rep.Results {
		for _, n := range r.Notes {
			fmt.Fprintf(w, "note: %s %s: %s\n", r.Scenario, r.Target, n)
		}
		if r.Scenario == Reject {
			fmt.Fprintf(w, "reject %s: %d head bytes sent, %d body bytes sent, %d answered 100 Continue\n",
				r.Target, r.HeaderBytesSent, r.BodyBytesSent, r.Continues)
		}
	}
	return nil
}

// ratio formats a/b for the comparison, "n/a" when it means nothing.
func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// WriteMarkdown writes the results as Markdown tables: the comparison of
// the headline figures (ratio first target / peer), then every figure.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	if len(rep.Targets) > 1 {
		t, p := rep.Targets[0], rep.Targets[1]
		fmt.Fprintf(&b, "| scenario | figure | %s | %s | %s / %s |\n|---|---|---:|---:|---:|\n", t, p, t, p)
		for _, sc := range rep.scenarios() {
			a, c := rep.find(sc, t), rep.find(sc, p)
			if a == nil || c == nil {
				continue
			}
			av, unit, higher := a.Headline()
			cv, _, _ := c.Headline()
			if !higher {
				unit += " (lower is better)"
			}
			fmt.Fprintf(&b, "| %s | %s | %.1f | %.1f | %s |\n", sc, unit, av, cv, ratio(av, cv))
		}
		b.WriteString("\n")
	}
	b.WriteString("| scenario | target | conns | ok/s | MB/s | p50 ms | p90 ms | p99 ms | max ms | ok | errors | client CPU s | server CPU s | server peak RSS MiB | statuses |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rep.Results {
		cpu, rss := serverCols(r)
		fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %.1f | %.2f | %.2f | %.2f | %.2f | %d | %d | %.2f | %s | %s | %s |\n",
			r.Scenario, r.Target, r.Conns, r.OKPerSec, r.MBPerSec, r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max,
			r.OK, r.Errors, r.ClientCPU, cpu, rss, statusList(r.Statuses))
	}
	notes := false
	for _, r := range rep.Results {
		for _, n := range r.Notes {
			if !notes {
				b.WriteString("\n")
				notes = true
			}
			fmt.Fprintf(&b, "- %s, %s: %s\n", r.Scenario, r.Target, n)
		}
	}
	_, err := w.Write(b.Bytes())
	if err != nil {
		return fmt.Errorf("cannot write the Markdown report: %w", err)
	}
	return nil
}

// chartBar is one bar of the HTML chart.
type chartBar struct {
	Target string
	Label  string
	Y      int
	Width  float64
	Color  string
}

type chart struct {
	Scenario string
	Unit     string
	Better   string
	Height   int
	Bars     []chartBar
}

var palette = []string{"#2b6cb0", "#dd6b20", "#38a169", "#805ad5"}

// charts builds one bar chart per scenario, bars scaled to the largest.
func (rep *Report) charts() []chart {
	const barH, gap, width = 22, 8, 420.0
	var cs []chart
	for _, sc := range rep.scenarios() {
		c := chart{Scenario: sc}
		var vals []float64
		var rs []*Result
		for _, t := range rep.Targets {
			if r := rep.find(sc, t); r != nil {
				v, unit, hb := r.Headline()
				c.Unit = unit
				c.Better = "higher is better"
				if !hb {
					c.Better = "lower is better"
				}
				vals = append(vals, v)
				rs = append(rs, r)
			}
		}
		top := 0.0
		for _, v := range vals {
			top = max(top, v)
		}
		for i, r := range rs {
			wd := 0.0
			if top > 0 {
				wd = vals[i] / top * width
			}
			c.Bars = append(c.Bars, chartBar{
				Target: r.Target, Label: fmt.Sprintf("%.1f", vals[i]),
				Y: i * (barH + gap), Width: wd, Color: palette[i%len(palette)],
			})
		}
		c.Height = len(rs) * (barH + gap)
		cs = append(cs, c)
	}
	return cs
}

var htmlReport = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>upedge bench</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}
.chart{display:inline-block;margin:0 2em 1.5em 0;vertical-align:top}
.chart h3{margin:0 0 4px;font-size:14px}.chart p{margin:0 0 4px;font-size:12px;color:#666}
svg text{font-size:12px}
</style></head><body>
<h1>upedge bench</h1>
<p>{{.Rep.Started.Format "2006-01-02 15:04 MST"}} · {{.Rep.Machine.CPUs}} CPUs ({{.Rep.Machine.CPUModel}}) · kernel {{.Rep.Machine.Kernel}} · harness {{.Rep.Machine.Go}}</p>
<p><code>{{.Rep.Command}}</code></p>
{{range .Charts}}<div class="chart"><h3>{{.Scenario}}</h3><p>{{.Unit}}, {{.Better}}</p>
<svg width="600" height="{{.Height}}" xmlns="http://www.w3.org/2000/svg">{{range .Bars}}
<text x="0" y="{{.Y}}" dy="15">{{.Target}}</text>
<rect x="80" y="{{.Y}}" width="{{printf "%.1f" .Width}}" height="22" fill="{{.Color}}"/>
<text x="{{printf "%.1f" .Width}}" dx="86" y="{{.Y}}" dy="15">{{.Label}}</text>{{end}}
</svg></div>
{{end}}
<h2>All figures</h2>
<table><tr><th>scenario</th><th>target</th><th>conns</th><th>ok/s</th><th>MB/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th><th>ok</th><th>errors</th><th>client CPU s</th><th>server CPU s</th><th>server peak RSS MiB</th><th>statuses</th></tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// WriteHTML writes a self-contained HTML page: a bar chart (inline SVG) per
// scenario comparing the targets, and the table of all figures.
func (rep *Report) WriteHTML(w io.Writer) error {
	var rows [][]string
	var notes []string
	for _, r := range rep.Results {
		cpu, rss := serverCols(r)
		rows = append(rows, []string{
			r.Scenario, r.Target, fmt.Sprint(r.Conns), fmt.Sprintf("%.0f", r.OKPerSec), fmt.Sprintf("%.1f", r.MBPerSec),
			fmt.Sprintf("%.2f", r.Latency.P50), fmt.Sprintf("%.2f", r.Latency.P90), fmt.Sprintf("%.2f", r.Latency.P99),
			fmt.Sprintf("%.2f", r.Latency.Max), fmt.Sprint(r.OK), fmt.Sprint(r.Errors), fmt.Sprintf("%.2f", r.ClientCPU),
			cpu, rss, statusList(r.Statuses),
		})
		for _, n := range r.Notes {
			notes = append(notes, r.Scenario+", "+r.Target+": "+n)
		}
	}
	data := struct {
		Rep    *Report
		Charts []chart
		Rows   [][]string
		Notes  []string
	}{rep, rep.charts(), rows, notes}
	if err := htmlReport.Execute(w, data); err != nil {
		return fmt.Errorf("cannot write the HTML report: %w", err)
	}
	return nil
}

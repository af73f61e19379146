package metrics

import (
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"
)

// durationBuckets are the upper bounds, in seconds, of the request duration
// histogram: from a cached HEAD (tens of µs) to a large upload over a slow
// link (minutes).
var durationBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

// histogram is a Prometheus histogram with fixed le buckets, so that plain
// Prometheus can run histogram_quantile on it (VictoriaMetrics' own
// histograms use vmrange buckets, which only VictoriaMetrics understands).
// Update is a few atomic adds: no lock, no allocation.
type histogram struct {
	name   string // metric name without suffix
	labels string // e.g. `method="PUT"`
	counts []atomic.Uint64
	sumNs  atomic.Uint64
}

func newHistogram(name, labels string) *histogram {
	return &histogram{name: name, labels: labels, counts: make([]atomic.Uint64, len(durationBuckets)+1)}
}

func (h *histogram) update(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(durationBuckets) && s > durationBuckets[i] {
		i++
	}
	h.counts[i].Add(1) // the last slot is +Inf
	if d > 0 {
		h.sumNs.Add(uint64(d))
	}
}

// write writes the histogram in Prometheus text format (cumulative buckets).
func (h *histogram) write(w io.Writer) {
	var cum uint64
	for i, le := range durationBuckets {
		cum += h.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket{%s,le=%q} %d\n", h.name, h.labels, strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	cum += h.counts[len(durationBuckets)].Load()
	fmt.Fprintf(w, "%s_bucket{%s,le=\"+Inf\"} %d\n", h.name, h.labels, cum)
	fmt.Fprintf(w, "%s_sum{%s} %g\n", h.name, h.labels, float64(h.sumNs.Load())/1e9)
	fmt.Fprintf(w, "%s_count{%s} %d\n", h.name, h.labels, cum)
}

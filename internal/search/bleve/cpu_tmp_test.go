package bleve_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/matching"
	"github.com/liuzhou-techmarket/techmarket/internal/search/bleve"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUTmp(t *testing.T) {
	dir := os.Getenv("DEV_DIR")
	if dir == "" {
		t.Skip()
	}
	eng, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	s := newSynth(7)
	c0 := cpuNow()
	var lat []time.Duration
	for i := 0; i < 1000; i++ {
		q := s.query()
		t0 := time.Now()
		if _, err := eng.Search(ctx, q); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	p50, p99 := percentiles(lat)
	t.Logf("search: CPU %v per query; wall p50 %v p99 %v", (cpuNow()-c0)/1000, p50, p99)
	c0 = cpuNow()
	lat = lat[:0]
	for i := 0; i < 300; i++ {
		t0 := time.Now()
		if _, err := matching.Match(ctx, eng, s.demand(i), 10); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	p50, p99 = percentiles(lat)
	t.Logf("match: CPU %v per match; wall p50 %v p99 %v", (cpuNow()-c0)/300, p50, p99)
}

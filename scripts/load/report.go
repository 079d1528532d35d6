package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/glebarez/go-sqlite"

	"github.com/liuzhou-techmarket/techmarket/internal/blackbox"
)

// result is the merged record of a run.
type result struct {
	wall    time.Duration
	classes [nClasses]*stats
	byEP    map[string]*stats
	epClass map[string]int
	ops     int64
}

func runLoad(ctx context.Context, c *blackbox.Client, w *world, tl *tally, o options, weights [nClasses]int) *result {
	total := 0
	for _, x := range weights {
		total += x
	}
	var issued, ops atomic.Int64
	deadline := time.Now().Add(o.duration)
	workers := make([]*worker, o.workers)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range workers {
		wk := &worker{ctx: ctx, c: c, w: w, tl: tl, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i))),
			issued: &issued, byEP: map[string]*stats{}, epClass: map[string]int{}, etags: map[string]string{},
			id: i, weights: weights, totalWgt: total}
		for k := range wk.classes {
			wk.classes[k] = newStats()
		}
		workers[i] = wk
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) && issued.Load() < o.maxRequests {
				ops.Add(1)
				switch wk.pick() {
				case classBrowse:
					wk.browse()
				case classPublish:
					wk.publishOp()
				case classTransactions:
					wk.transactionOp()
				case classSubsidy:
					wk.subsidyOp()
				}
			}
		}()
	}
	wg.Wait()
	res := &result{wall: time.Since(start), byEP: map[string]*stats{}, epClass: map[string]int{}, ops: ops.Load()}
	for k := range res.classes {
		res.classes[k] = newStats()
	}
	for _, wk := range workers {
		for k, s := range wk.classes {
			res.classes[k].merge(s)
		}
		for ep, s := range wk.byEP {
			if res.byEP[ep] == nil {
				res.byEP[ep] = newStats()
			}
			res.byEP[ep].merge(s)
			res.epClass[ep] = wk.epClass[ep]
		}
	}
	return res
}

func (r *result) requests() int {
	n := 0
	for _, s := range r.classes {
		n += len(s.lat)
	}
	return n
}

// ── report ──────────────────────────────────────────────────────────────

func header(out io.Writer, o options, t *target, weights [nClasses]int) {
	model := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	fmt.Fprintf(out, "### %s, %d instance(s), %d workers, %s\n\n", t.desc, len(t.urls), o.workers, o.duration)
	fmt.Fprintf(out, "%s · %d CPUs (%s) · load client on the same host · weights browse/publish/deals/subsidy = %v\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), model, weights)
}

func pct(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := int(float64(len(s))*p+0.999999) - 1
	return s[max(0, min(len(s)-1, i))]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

func errText(s *stats) string {
	if len(s.errs) == 0 {
		return "0"
	}
	var codes []int
	n := 0
	for k, v := range s.errs {
		codes = append(codes, k)
		n += v
	}
	sort.Ints(codes)
	var parts []string
	for _, k := range codes {
		name := strconv.Itoa(k)
		if k == 0 {
			name = "transport"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, s.errs[k]))
	}
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, ", "))
}

func (r *result) write(out io.Writer, weights [nClasses]int) {
	total := 0
	for _, x := range weights {
		total += x
	}
	all := newStats()
	fmt.Fprintln(out, "| class | weight | requests | req/s | p50 ms | p99 ms | errors (by status) |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | --- |")
	for k, s := range r.classes {
		all.merge(s)
		slices.Sort(s.lat)
		if weights[k] == 0 {
			fmt.Fprintf(out, "| %s | 0 | skipped | | | | |\n", classNames[k])
			continue
		}
		fmt.Fprintf(out, "| %s | %d%% | %d | %.0f | %s | %s | %s |\n", classNames[k], weights[k]*100/total, len(s.lat),
			float64(len(s.lat))/r.wall.Seconds(), ms(pct(s.lat, .50)), ms(pct(s.lat, .99)), errText(s))
	}
	slices.Sort(all.lat)
	fmt.Fprintf(out, "| **overall** | | **%d** | **%.0f** | **%s** | **%s** | %s |\n\n", len(all.lat),
		float64(len(all.lat))/r.wall.Seconds(), ms(pct(all.lat, .50)), ms(pct(all.lat, .99)), errText(all))
	fmt.Fprintf(out, "%d operations in %.1f s (%.0f ops/s); an operation is one browse request, or a publish (create + submit + review), or a deal (create, 1–3 payments, 70%% registered, reads), or one quote.\n\n",
		r.ops, r.wall.Seconds(), float64(r.ops)/r.wall.Seconds())

	eps := make([]string, 0, len(r.byEP))
	for ep := range r.byEP {
		eps = append(eps, ep)
	}
	sort.Slice(eps, func(i, j int) bool {
		if r.epClass[eps[i]] != r.epClass[eps[j]] {
			return r.epClass[eps[i]] < r.epClass[eps[j]]
		}
		return eps[i] < eps[j]
	})
	fmt.Fprintln(out, "<details><summary>per endpoint</summary>")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| endpoint | requests | p50 ms | p99 ms | max ms | statuses | errors |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | --- | --- |")
	var samples []string
	for _, ep := range eps {
		s := r.byEP[ep]
		slices.Sort(s.lat)
		var st []string
		var codes []int
		for k := range s.statuses {
			codes = append(codes, k)
		}
		sort.Ints(codes)
		for _, k := range codes {
			st = append(st, fmt.Sprintf("%d×%d", k, s.statuses[k]))
		}
		fmt.Fprintf(out, "| %s | %d | %s | %s | %s | %s | %s |\n", ep, len(s.lat), ms(pct(s.lat, .5)), ms(pct(s.lat, .99)),
			ms(s.lat[len(s.lat)-1]), strings.Join(st, " "), errText(s))
		if s.sample != "" {
			samples = append(samples, s.sample)
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "</details>")
	fmt.Fprintln(out)
	if len(samples) > 0 {
		fmt.Fprintln(out, "First unexpected answer per endpoint:")
		fmt.Fprintln(out)
		for _, s := range samples {
			fmt.Fprintf(out, "- `%s`\n", strings.ReplaceAll(s, "`", "'"))
		}
		fmt.Fprintln(out)
	}
}

// ── CPU accounting ──────────────────────────────────────────────────────

type cpuSample map[string]float64 // process label → CPU seconds

// machineKey holds the whole machine's busy time in a sample.
const machineKey = "\x00machine"

func procCPU(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100, true // USER_HZ is 100 on Linux
}

// cpuSnapshot reads the CPU time of the servers, of this process and of
// the database and cache servers on this machine.
func cpuSnapshot(t *target) cpuSample {
	s := cpuSample{}
	for _, srv := range t.servers {
		if v, ok := procCPU(srv.Pid()); ok {
			s["techmarket serve ("+srv.Name+")"] = v
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s["load client (this process)"] = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		busy := 0.0
		for i, v := range f[1:] {
			x, _ := strconv.ParseFloat(v, 64)
			if i != 3 && i != 4 && i < 7 { // user to softirq but idle and iowait; steal is not ours, guest is inside user
				busy += x
			}
		}
		s[machineKey] = busy / 100
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil {
			continue
		}
		switch name := strings.TrimSpace(string(comm)); name {
		case "techmarket":
			// Servers this run did not start (-url, -urls).
			if len(t.servers) == 0 {
				if v, ok := procCPU(pid); ok {
					s[fmt.Sprintf("techmarket (pid %d)", pid)] = v
				}
			}
		case "mariadbd", "mysqld", "redis-server", "meilisearch":
			if t.dialect == "sqlite" {
				continue // not part of this stack: other people's tests, counted under "other processes"
			}
			if v, ok := procCPU(pid); ok {
				s[name] += v
			}
		}
	}
	return s
}

func writeCPU(out io.Writer, a, b cpuSample, wall time.Duration, requests int) {
	var names []string
	for k := range b {
		names = append(names, k)
	}
	sort.Strings(names)
	names = slices.DeleteFunc(names, func(n string) bool { return n == machineKey })
	fmt.Fprintf(out, "CPU used during the %.1f s of load (%d cores = %.0f CPU-seconds available):\n\n", wall.Seconds(), runtime.NumCPU(), wall.Seconds()*float64(runtime.NumCPU()))
	fmt.Fprintln(out, "| process | CPU s | cores busy |")
	fmt.Fprintln(out, "| --- | ---: | ---: |")
	sum := 0.0
	for _, n := range names {
		d := b[n] - a[n]
		sum += d
		fmt.Fprintf(out, "| %s | %.1f | %.2f |\n", n, d, d/wall.Seconds())
	}
	fmt.Fprintf(out, "| all of the above | %.1f | %.2f |\n", sum, sum/wall.Seconds())
	service := 0.0 // the servers, the database and the cache: not the client
	for _, n := range names {
		if !strings.HasPrefix(n, "load client") {
			service += b[n] - a[n]
		}
	}
	if m := b[machineKey] - a[machineKey]; m > 0 {
		fmt.Fprintf(out, "| other processes on the machine (other engineers' builds and tests) | %.1f | %.2f |\n", max(0, m-sum), max(0, m-sum)/wall.Seconds())
		fmt.Fprintf(out, "| whole machine (/proc/stat, steal excluded) | %.1f | %.2f |\n", m, m/wall.Seconds())
	}
	if service > 0 {
		fmt.Fprintf(out, "\nCost: %.2f ms of CPU per request in the service stack (servers + database + cache), i.e. %.0f requests per CPU-second: the figure to compare when other processes share the cores.\n",
			service*1000/float64(requests), float64(requests)/service)
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(out, "\nLoad average at the end: %s\n", strings.Join(strings.Fields(string(la))[:3], " "))
	}
	fmt.Fprintln(out)
}

// ── after the run ───────────────────────────────────────────────────────

// SPDX-License-Identifier: MIT
// Command bench-go is the Go peer of libtomb's benchmarks: impl "go-tomb"
// (gopkg.in/tomb.v2) and impl "go-errgroup" (golang.org/x/sync/errgroup
// with a context).
//
//	bench-go IMPL METRIC N RUNS
//
// prints RUNS lines "METRIC IMPL N VALUE" (VALUE in ns, or bytes for
// mem-rss), or one line "skip METRIC IMPL reason..." for a metric that
// cannot be measured honestly.  Any other failure goes to stderr with exit
// status 1.  See ../README.md for what each metric measures.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"gopkg.in/tomb.v2"
)

type args struct {
	impl, metric string
	n, runs      int
}

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "bench peer: "+format+"\n", a...)
	os.Exit(1)
}

func number(s, what string) int {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		die("%s must be a positive integer, not %q", what, s)
	}
	return v
}

func (a *args) result(value int64) {
	fmt.Printf("%s %s %d %d\n", a.metric, a.impl, a.n, value)
}

func (a *args) skip(reason string) {
	fmt.Printf("skip %s %s %s\n", a.metric, a.impl, reason)
}

// A group of workers as each library spells it.  start runs n workers
// that call ready.Done() just before they block in the library's own
// wait for a stop; kill stops them all and returns when the wait has.
type group interface {
	start(n int, ready *sync.WaitGroup)
	kill()
	// spawn starts n workers that return at once and waits for them.
	spawn(n int)
	// poll checks the stop flag iters times; it returns how often the
	// check said "stop" (zero: nobody stops it).
	poll(iters int) int
}

// go-tomb: t.Go, <-t.Dying(), t.Kill(nil) and t.Wait().
type tombGroup struct{ t tomb.Tomb }

func (g *tombGroup) start(n int, ready *sync.WaitGroup) {
	t := &g.t
	for i := 0; i < n; i++ {
		t.Go(func() error {
			ready.Done()
			<-t.Dying()
			return nil
		})
	}
}

func (g *tombGroup) kill() {
	g.t.Kill(nil)
	g.t.Wait()
}

// tomb.v2 panics on a Go after every tracked goroutine has returned, so
// its documented way to start workers that may return at once is from a
// tracked goroutine: the first worker starts the other n-1.
func (g *tombGroup) spawn(n int) {
	t := &g.t
	t.Go(func() error {
		for i := 1; i < n; i++ {
			t.Go(func() error { return nil })
		}
		return nil
	})
	t.Wait()
}

func (g *tombGroup) poll(iters int) int {
	t := &g.t
	seen := 0
	for i := 0; i < iters; i++ {
		select {
		case <-t.Dying():
			seen++
		default:
		}
	}
	return seen
}

// go-errgroup: errgroup.WithContext on a cancellable context; the kill is
// that context's cancel, the wait g.Wait().
type errgroupGroup struct {
	g      *errgroup.Group
	ctx    context.Context
	cancel context.CancelFunc
}

func newErrgroup() *errgroupGroup {
	parent, cancel := context.WithCancel(context.Background())
	g, ctx := errgroup.WithContext(parent)
	return &errgroupGroup{g, ctx, cancel}
}

func (e *errgroupGroup) start(n int, ready *sync.WaitGroup) {
	ctx := e.ctx
	for i := 0; i < n; i++ {
		e.g.Go(func() error {
			ready.Done()
			<-ctx.Done()
			return ctx.Err()
		})
	}
}

func (e *errgroupGroup) kill() {
	e.cancel()
	e.g.Wait()
}

func (e *errgroupGroup) spawn(n int) {
	for i := 0; i < n; i++ {
		e.g.Go(func() error { return nil })
	}
	e.g.Wait()
}

func (e *errgroupGroup) poll(iters int) int {
	ctx := e.ctx
	seen := 0
	for i := 0; i < iters; i++ {
		select {
		case <-ctx.Done():
			seen++
		default:
		}
	}
	return seen
}

// newGroup makes a fresh group, ready to use: the tomb's lazy setup is
// done here, outside any timing, as errgroup's is.
func newGroup(impl string) group {
	switch impl {
	case "go-tomb":
		g := &tombGroup{}
		g.t.Dying()
		return g
	case "go-errgroup":
		return newErrgroup()
	}
	die("unknown impl %q (this program serves \"go-tomb\" and \"go-errgroup\")", impl)
	return nil
}

// startBlocked starts n blocked workers and returns once all n have
// called ready.Done(), after the pause bench-c makes too (5 ms + 20 us per
// worker), so that the last ones reach their receive and every impl's kill
// starts from the same idle CPUs.
func startBlocked(g group, n int) {
	var ready sync.WaitGroup
	ready.Add(n)
	g.start(n, &ready)
	ready.Wait()
	time.Sleep(5*time.Millisecond + time.Duration(n)*20*time.Microsecond)
}

// Loops that time one cheap check run until a run lasts about loopNs,
// like peer.h's: the calibration doubles from 1<<16 until one run lasts a
// fifth of it, and is the warm-up.
const loopNs = 50000000

func pollOnce(g group, iters int) int64 {
	t0 := time.Now()
	seen := g.poll(iters)
	el := time.Since(t0).Nanoseconds()
	if seen != 0 {
		die("the stop flag was set with no kill")
	}
	return el
}

func pollMetric(a *args) {
	scale := 1
	if env := os.Getenv("BENCH_LOOP_SCALE"); env != "" {
		scale = number(env, "BENCH_LOOP_SCALE")
	}
	g := newGroup(a.impl)
	iters := 1 << 16
	var ns int64
	for {
		ns = pollOnce(g, iters)
		if ns >= loopNs/5 {
			break
		}
		iters *= 2
	}
	if ns < 1 {
		ns = 1
	}
	iters = int(float64(iters)*loopNs/float64(ns)) + 1
	for r := 0; r < a.runs; r++ {
		v := float64(pollOnce(g, iters)) * float64(scale) / float64(iters)
		a.result(int64(v + 0.5))
	}
}

func spawnOnce(a *args) int64 {
	g := newGroup(a.impl)
	t0 := time.Now()
	g.spawn(a.n)
	return time.Since(t0).Nanoseconds() / int64(a.n)
}

func killOnce(a *args) int64 {
	g := newGroup(a.impl)
	startBlocked(g, a.n)
	t0 := time.Now()
	g.kill()
	return time.Since(t0).Nanoseconds()
}

// repeat prints RUNS values of once after one warm-up.  No runtime.GC()
// between runs: the collector's background work it sets off lands in the
// next run (spawn of 1 went from 0.6 to 10-100 us with it).
func repeat(a *args, once func(a *args) int64) {
	once(a)
	for r := 0; r < a.runs; r++ {
		a.result(once(a))
	}
}

// vmhwm returns the peak resident set size in bytes.
func vmhwm() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		die("%v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v := s.Text(); strings.HasPrefix(v, "VmHWM:") {
			v = strings.TrimPrefix(v, "VmHWM:")
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
			if err != nil {
				die("bad VmHWM line %q", s.Text())
			}
			return kb * 1024
		}
	}
	die("no VmHWM in /proc/self/status")
	return 0
}

// memMetric: VmHWM with n goroutines blocked in one group, minus VmHWM
// before.  VmHWM only grows and Go keeps freed stacks, so each run is a
// fresh process: with RUNS > 1 the program runs itself RUNS times.
func memMetric(a *args) {
	if a.runs > 1 {
		for r := 0; r < a.runs; r++ {
			cmd := exec.Command("/proc/self/exe", a.impl, a.metric,
				strconv.Itoa(a.n), "1")
			cmd.Stdout = os.Stdout
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				die("%s %s: run %d: %v", a.impl, a.metric, r+1, err)
			}
		}
		return
	}
	before := vmhwm()
	g := newGroup(a.impl)
	startBlocked(g, a.n)
	a.result(vmhwm() - before)
	// The exit ends the blocked goroutines, as in the C peers.
}

func main() {
	if len(os.Args) != 5 {
		die("usage: %s IMPL METRIC N RUNS", os.Args[0])
	}
	a := &args{
		impl:   os.Args[1],
		metric: os.Args[2],
		n:      number(os.Args[3], "N"),
		runs:   number(os.Args[4], "RUNS"),
	}
	newGroup(a.impl) // checks the impl
	switch a.metric {
	case "poll":
		pollMetric(a)
	case "spawn":
		repeat(a, spawnOnce)
	case "kill":
		repeat(a, killOnce)
	case "hook":
		if a.impl == "go-tomb" {
			a.skip("tomb.v2 has no call to register a dying callback")
		} else {
			a.skip("a context has no call to register a cancel callback " +
				"before Go 1.21's context.AfterFunc; this is " +
				runtime.Version())
		}
	case "mem-rss":
		memMetric(a)
	default:
		die("unknown metric %q", a.metric)
	}
}

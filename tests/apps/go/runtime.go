// SPDX-License-Identifier: MIT

// The Go runtime on wisp: goroutines and channels, timers (Sleep, AfterFunc, tickers, select
// timeouts), the garbage collector, a tight loop that only asynchronous preemption (SIGURG) can
// interrupt, os/signal receiving a SIGINT the program sends itself, and mutex contention.
// Prints only what is the same on every run, natively and in wisp.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func pipeline() int {
	in := make(chan int)
	out := make(chan int)
	var workers sync.WaitGroup
	for w := 0; w < 8; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for v := range in {
				out <- v * v
			}
		}()
	}
	go func() {
		for i := 1; i <= 1000; i++ {
			in <- i
		}
		close(in)
	}()
	go func() {
		workers.Wait()
		close(out)
	}()
	sum := 0
	for v := range out {
		sum += v
	}
	return sum
}

func timers() {
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	fmt.Println("Sleep(20ms) took at least 20ms:", time.Since(start) >= 20*time.Millisecond)

	fired := make(chan string)
	time.AfterFunc(10*time.Millisecond, func() { fired <- "fired" })
	fmt.Println("AfterFunc:", <-fired)

	never := time.NewTimer(time.Hour)
	fmt.Println("Stop of a pending timer:", never.Stop())

	ticker := time.NewTicker(5 * time.Millisecond)
	ticks := 0
	for range ticker.C {
		ticks++
		if ticks == 3 {
			break
		}
	}
	ticker.Stop()
	fmt.Println("ticks:", ticks)

	select {
	case <-make(chan int):
		fmt.Println("impossible")
	case <-time.After(15 * time.Millisecond):
		fmt.Println("select timed out")
	}
}

var sink [][]byte

func garbage() {
	before := new(runtime.MemStats)
	runtime.ReadMemStats(before)
	for i := 0; i < 400; i++ {
		b := make([]byte, 64<<10)
		b[len(b)-1] = byte(i)
		if i%40 == 0 {
			sink = append(sink, b)
		}
	}
	runtime.GC()
	after := new(runtime.MemStats)
	runtime.ReadMemStats(after)
	fmt.Println("GC cycles ran:", after.NumGC > before.NumGC, "kept:", len(sink))
	finalized := make(chan bool, 1)
	obj := new([1 << 10]byte)
	runtime.SetFinalizer(obj, func(*[1 << 10]byte) { finalized <- true })
	obj = nil
	for i := 0; i < 20; i++ {
		runtime.GC()
		select {
		case <-finalized:
			fmt.Println("finalizer ran")
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	fmt.Println("finalizer did not run")
}

// With one P, main can only run again after Sleep if the spinning goroutine is preempted: the
// loop has no calls, so that takes a SIGURG from sysmon (asynchronous preemption).
func preemption() {
	previous := runtime.GOMAXPROCS(1)
	var stop int32
	started := make(chan bool)
	go func() {
		started <- true
		for atomic.LoadInt32(&stop) == 0 {
		}
	}()
	<-started
	time.Sleep(30 * time.Millisecond)
	atomic.StoreInt32(&stop, 1)
	fmt.Println("tight loop was preempted")
	runtime.GOMAXPROCS(previous)
}

func signals() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		fmt.Println("kill:", err)
	}
	select {
	case s := <-sigs:
		fmt.Println("os/signal received:", s)
	case <-time.After(5 * time.Second):
		fmt.Println("no signal within 5s")
	}
	signal.Stop(sigs)
}

func contention() {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	counter, ready := 0, 0
	var done sync.WaitGroup
	for i := 0; i < 16; i++ {
		done.Add(1)
		go func() {
			defer done.Done()
			mu.Lock()
			ready++
			for ready < 16 {
				cond.Wait()
			}
			cond.Broadcast()
			mu.Unlock()
			for j := 0; j < 2000; j++ {
				mu.Lock()
				counter++
				mu.Unlock()
				if j%100 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	done.Wait()
	fmt.Println("counter:", counter)
}

func recovered() (message string) {
	defer func() {
		if r := recover(); r != nil {
			message = fmt.Sprint("recovered: ", r)
		}
	}()
	var m map[string]int
	m["x"] = 1 // assignment to a nil map panics
	return "no panic"
}

func main() {
	fmt.Println("sum of squares 1..1000:", pipeline())
	timers()
	garbage()
	preemption()
	signals()
	contention()
	fmt.Println(recovered())
	fmt.Println("goroutines at the end <= 4:", runtime.NumGoroutine() <= 4)
	os.Exit(3)
}

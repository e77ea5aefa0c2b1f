package bench

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// runPeakRSS runs cmd and returns its peak RSS in KiB, as the kernel's
// high-water mark VmHWM read from /proc every millisecond until it exits.
//
// Not ru_maxrss: Go starts children with vfork, and Linux carries the
// high-water mark of the parent's memory into the child's ru_maxrss at
// exec, so a child of a big benchmark process would "use" the benchmark's
// memory. VmHWM belongs to the child's own address space. The last
// millisecond before exit can escape a sample; a step's memory does not
// peak there.
func runPeakRSS(cmd *exec.Cmd) (int64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	path := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
	var peak int64
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if kb := vmHWM(path); kb > peak {
			peak = kb
		}
		select {
		case err := <-done:
			return peak, err
		case <-tick.C:
		}
	}
}

func vmHWM(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	i := bytes.Index(data, []byte("VmHWM:"))
	if i < 0 {
		return 0
	}
	f := bytes.Fields(data[i+len("VmHWM:"):])
	if len(f) == 0 {
		return 0
	}
	kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return kb
}

package courier

import "syscall"

// threadCPU returns the CPU time the calling OS thread has used, in nanoseconds, or 0 if
// unknown. Benchmarks lock their goroutine to its thread and report ops per CPU second
// next to ops per wall second, which stays meaningful on a busy shared machine.
func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

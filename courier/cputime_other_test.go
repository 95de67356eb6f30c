//go:build !linux

package courier

// threadCPU is unknown off Linux; benchmarks then report wall-clock rates only.
func threadCPU() int64 { return 0 }

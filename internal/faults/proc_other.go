//go:build !linux

package faults

import "syscall"

// sysProcAttr has nothing to add outside Linux: children are stopped on every exit path
// of the run, but not when the run itself is killed.
func sysProcAttr() *syscall.SysProcAttr { return nil }

package faults

import "syscall"

// sysProcAttr makes the kernel kill a child when this process dies, so that even a
// SIGKILLed fault run leaves no server or Redis behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

package teststack

import "syscall"

// procAttr puts a child in its own process group and has the kernel send it
// SIGTERM when the process that started it dies, so that a test binary
// killed by its timeout leaves no servers behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

//go:build !linux

package main

import (
	"log"
	"time"
)

// serveLoopProxy needs Linux's epoll.
func serveLoopProxy(addr, target string, work time.Duration, latticeHeaders bool) {
	log.Fatal("the event-loop proxy (loopproxy) runs only on Linux")
}

package main

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// drain stops the server without closing a connection under a request that
// has just arrived on it. http.Server.Shutdown closes idle keep-alive
// connections at once; a client that sent its next request on one at that
// moment gets a reset for a request the server never saw. So on SIGTERM the
// listener closes first (no new connections), every answer from then on
// carries "Connection: close" (the client opens no more requests on it and
// the server closes it after that answer), and the connections that stay
// idle are closed only after a grace period, or earlier once none is left
// open. Only then does Shutdown run, with the in-flight requests' deadline.
type drain struct {
	ln       *onceCloseListener
	draining atomic.Bool
	open     atomic.Int64
	mu       sync.Mutex
	states   map[net.Conn]http.ConnState
}

func newDrain(ln net.Listener) *drain {
	return &drain{ln: &onceCloseListener{Listener: ln}, states: map[net.Conn]http.ConnState{}}
}

// handler marks every answer given while draining with Connection: close.
func (d *drain) handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// connState is the http.Server's ConnState hook: it counts the open
// connections.
func (d *drain) connState(c net.Conn, st http.ConnState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(d.states, c)
	default:
		d.states[c] = st
	}
	d.open.Store(int64(len(d.states)))
}

// stop drains as described on drain, then shuts srv down within ctx.
func (d *drain) stop(ctx context.Context, srv *http.Server, grace time.Duration) error {
	d.draining.Store(true)
	if err := d.ln.Close(); err != nil {
		return err
	}
	deadline := time.Now().Add(grace)
	for d.open.Load() > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return srv.Shutdown(ctx)
}

// onceCloseListener lets stop close the listener before Shutdown closes it
// again.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

package store

import (
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// generationCache remembers the reset generation a store last read or
// wrote, so that token checks, which ask on every request, read the storage
// at most once per the maxAge they allow. A reset through this process
// writes it at once; another process's reset is seen within maxAge.
type generationCache struct {
	gen    atomic.Int64
	at     atomic.Int64 // when gen was read or written, Unix nanoseconds
	flight singleflight.Group
	now    func() time.Time
}

// fresh reports whether the cached generation is younger than maxAge.
func (c *generationCache) fresh(maxAge time.Duration) bool {
	return maxAge > 0 && c.now().Sub(time.Unix(0, c.at.Load())) < maxAge
}

// get answers from the cache while it is fresh, else from read; concurrent
// callers share one read.
func (c *generationCache) get(maxAge time.Duration, read func() (int64, error)) (int64, error) {
	if c.fresh(maxAge) {
		return c.gen.Load(), nil
	}
	n, err, _ := c.flight.Do("", func() (any, error) { return read() })
	if err != nil {
		return c.gen.Load(), err
	}
	if gen, ok := n.(int64); ok {
		c.note(gen)
	}
	return c.gen.Load(), nil
}

// note remembers n as read now; generations only grow, so an older answer
// that arrives late does not lower it.
func (c *generationCache) note(n int64) {
	for {
		cur := c.gen.Load()
		if n < cur || c.gen.CompareAndSwap(cur, n) {
			break
		}
	}
	c.at.Store(c.now().UnixNano())
}

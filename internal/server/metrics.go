package server

import (
	"sync"
	"time"
)

// maxWindowMinutes is the longest window /health/components accepts; older
// buckets are dropped.
const maxWindowMinutes = 1440

// requestMetrics counts events per minute so that /health/components can
// report any trailing window of up to a day.
type requestMetrics struct {
	mu      sync.Mutex
	buckets map[int64]map[string]int64 // unix minute -> key -> count
}

func newRequestMetrics() *requestMetrics {
	return &requestMetrics{buckets: map[int64]map[string]int64{}}
}

func minuteOf(t time.Time) int64 { return t.Unix() / 60 }

func (m *requestMetrics) add(now time.Time, keys ...string) {
	minute := minuteOf(now)
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[minute]
	if b == nil {
		b = map[string]int64{}
		m.buckets[minute] = b
		for k := range m.buckets {
			if k <= minute-maxWindowMinutes {
				delete(m.buckets, k)
			}
		}
	}
	for _, k := range keys {
		b[k]++
	}
}

// window sums every key over the trailing window.
func (m *requestMetrics) window(now time.Time, minutes int) map[string]int64 {
	from := minuteOf(now) - int64(minutes) + 1
	out := map[string]int64{}
	m.mu.Lock()
	defer m.mu.Unlock()
	for minute, b := range m.buckets {
		if minute < from {
			continue
		}
		for k, v := range b {
			out[k] += v
		}
	}
	return out
}

// series returns key's count for each minute of the window, oldest first.
func (m *requestMetrics) series(now time.Time, minutes int, key string) []int64 {
	last := minuteOf(now)
	out := make([]int64, minutes)
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range out {
		out[i] = m.buckets[last-int64(minutes-1-i)][key]
	}
	return out
}

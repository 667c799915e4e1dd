package postgres

import (
	"sync"
	"testing"
)

// TestWakeCoalesces: wakes while a notification is on its way send one
// more after it, not one each; a wake with none on its way sends at once.
func TestWakeCoalesces(t *testing.T) {
	var w waker
	var sent int
	w.wake(func() { sent++ })
	if sent != 1 {
		t.Fatalf("a wake with nothing on its way sent %d notifications, want 1", sent)
	}

	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	sends := 0
	first := true
	send := func() {
		mu.Lock()
		sends++
		block := first
		first = false
		mu.Unlock()
		if block {
			close(started)
			<-release
		}
	}
	done := make(chan struct{})
	go func() { w.wake(send); close(done) }()
	<-started
	var others sync.WaitGroup
	for range 10 {
		others.Go(func() { w.wake(send) }) // return at once: one is on its way
	}
	others.Wait()
	mu.Lock()
	if sends != 1 {
		t.Fatalf("%d notifications while the first was on its way, want it alone", sends)
	}
	mu.Unlock()
	close(release)
	<-done
	if sends != 2 {
		t.Fatalf("%d notifications for 11 wakes, 10 of them during the first: want 2", sends)
	}
	if w.sending || w.again {
		t.Fatalf("waker left %+v after the sends", &w)
	}
}

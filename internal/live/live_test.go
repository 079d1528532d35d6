package live

import "testing"

// Pokes coalesce per subscriber, reach only the auction's subscribers, and
// move the generation only while someone listens.
func TestHub(t *testing.T) {
	h := NewHub()
	h.Notify("a") // nobody listens
	if h.Generation("a") != 0 {
		t.Fatal("generation moved with no subscriber")
	}
	a1, stop1 := h.Subscribe("a")
	a2, stop2 := h.Subscribe("a")
	b, stopB := h.Subscribe("b")
	defer stopB()
	h.Notify("a")
	h.Notify("a")
	for i, ch := range []<-chan struct{}{a1, a2} {
		select {
		case <-ch:
		default:
			t.Fatalf("subscriber %d not poked", i)
		}
		select {
		case <-ch:
			t.Fatalf("subscriber %d: two pokes did not coalesce", i)
		default:
		}
	}
	select {
	case <-b:
		t.Fatal("another auction's subscriber poked")
	default:
	}
	if g := h.Generation("a"); g != 2 {
		t.Fatalf("generation %d, want 2", g)
	}
	stop1()
	if h.Subscribers("a") != 1 {
		t.Fatal("unsubscribe did not count")
	}
	stop2()
	if h.Subscribers("a") != 0 || h.Generation("a") != 0 {
		t.Fatal("state kept after the last subscriber left")
	}
}

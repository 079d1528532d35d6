package relevance

import (
	"math"
	"testing"
)

// The metrics by hand, on a set graded 0-2.
func TestMetricsByHand(t *testing.T) {
	ranked := []string{"a", "b", "c", "d"}
	judged := map[string]int{"a": 2, "c": 1, "e": 2}
	// DCG@3 = (2²-1)/log2(2) + 0 + (2¹-1)/log2(4) = 3 + 0.5 = 3.5
	// ideal grades 2, 2, 1: 3 + 3/log2(3) + 1/2 = 5.392789...
	want := 3.5 / (3 + 3/math.Log2(3) + 0.5)
	if got := NDCG(ranked, judged, 3); math.Abs(got-want) > 1e-9 {
		t.Errorf("nDCG@3 = %v, want %v (0.6490)", got, want)
	}
	if got := Recall(ranked, judged, 3); math.Abs(got-2.0/3) > 1e-9 {
		t.Errorf("recall@3 = %v, want 2/3", got)
	}
	// k=1: only a, which is as good as it gets at rank 1.
	if got := NDCG(ranked, judged, 1); got != 1 {
		t.Errorf("nDCG@1 = %v, want 1", got)
	}
	if got := Recall(ranked, judged, 1); math.Abs(got-1.0/3) > 1e-9 {
		t.Errorf("recall@1 = %v, want 1/3", got)
	}
	// On a set graded 0-3, recall counts grade 2 and 3 only (the shared
	// set's README): c (grade 1) no longer counts.
	judged3 := map[string]int{"a": 3, "c": 1, "e": 2}
	if got := Recall(ranked, judged3, 3); math.Abs(got-1.0/2) > 1e-9 {
		t.Errorf("recall@3 graded 0-3 = %v, want 1/2", got)
	}
	// The perfect ranking scores 1; nothing relevant scores 0.
	if got := NDCG([]string{"a", "e", "c"}, judged, 10); math.Abs(got-1) > 1e-9 {
		t.Errorf("perfect nDCG = %v", got)
	}
	if got := NDCG([]string{"x"}, map[string]int{"x": 0}, 10); got != 0 {
		t.Errorf("no relevant: nDCG = %v", got)
	}
	if got := Recall(nil, judged, 10); got != 0 {
		t.Errorf("empty ranking: recall = %v", got)
	}
}

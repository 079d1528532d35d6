package matching

import (
	"math"
	"testing"
)

// dcgAt is the discounted cumulative gain of the first k grades, with gain
// 2^grade - 1 and discount log2(rank + 1).
func dcgAt(grades []int, k int) float64 {
	sum := 0.0
	for i, g := range grades[:min(k, len(grades))] {
		sum += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i+2))
	}
	return sum
}

// ndcgAt is the DCG of ranked divided by the DCG of the ideal ordering of
// every judged item; 0 when nothing is relevant.
func ndcgAt(ranked []string, judged map[string]int, k int) float64 {
	grades := make([]int, len(ranked))
	for i, id := range ranked {
		grades[i] = judged[id]
	}
	var ideal []int
	for _, g := range judged {
		if g > 0 {
			ideal = append(ideal, g)
		}
	}
	// Sort the ideal grades, best first (few items: insertion sort).
	for i := 1; i < len(ideal); i++ {
		for j := i; j > 0 && ideal[j] > ideal[j-1]; j-- {
			ideal[j], ideal[j-1] = ideal[j-1], ideal[j]
		}
	}
	best := dcgAt(ideal, k)
	if best == 0 {
		return 0
	}
	return dcgAt(grades, k) / best
}

// recallAt is the share of the relevant items (grade ≥ 1) found in the
// first k.
func recallAt(ranked []string, judged map[string]int, k int) float64 {
	relevant := 0
	for _, g := range judged {
		if g > 0 {
			relevant++
		}
	}
	if relevant == 0 {
		return 0
	}
	found := 0
	for _, id := range ranked[:min(k, len(ranked))] {
		if judged[id] > 0 {
			found++
		}
	}
	return float64(found) / float64(relevant)
}

func TestMetricsByHand(t *testing.T) {
	ranked := []string{"a", "b", "c", "d"}
	judged := map[string]int{"a": 2, "c": 1, "e": 2}
	// DCG@3 = (2²-1)/log2(2) + 0 + (2¹-1)/log2(4) = 3 + 0.5 = 3.5
	// ideal grades 2, 2, 1: 3 + 3/log2(3) + 1/2 = 5.392789...
	want := 3.5 / (3 + 3/math.Log2(3) + 0.5)
	if got := ndcgAt(ranked, judged, 3); math.Abs(got-want) > 1e-9 {
		t.Errorf("nDCG@3 = %v, want %v (0.6490)", got, want)
	}
	if got := recallAt(ranked, judged, 3); math.Abs(got-2.0/3) > 1e-9 {
		t.Errorf("recall@3 = %v, want 2/3", got)
	}
	// k=1: only a, which is as good as it gets at rank 1.
	if got := ndcgAt(ranked, judged, 1); got != 1 {
		t.Errorf("nDCG@1 = %v, want 1", got)
	}
	if got := recallAt(ranked, judged, 1); math.Abs(got-1.0/3) > 1e-9 {
		t.Errorf("recall@1 = %v, want 1/3", got)
	}
	// The perfect ranking scores 1; nothing relevant scores 0.
	if got := ndcgAt([]string{"a", "e", "c"}, judged, 10); math.Abs(got-1) > 1e-9 {
		t.Errorf("perfect nDCG = %v", got)
	}
	if got := ndcgAt([]string{"x"}, map[string]int{"x": 0}, 10); got != 0 {
		t.Errorf("no relevant: nDCG = %v", got)
	}
	if got := recallAt(nil, judged, 10); got != 0 {
		t.Errorf("empty ranking: recall = %v", got)
	}
}

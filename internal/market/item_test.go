package market_test

import (
	"errors"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func deadlineDemand(deadline string) market.Item {
	return market.Item{Kind: market.KindDemand, Title: "焊接工艺改进需求", Body: "需要解决高强钢激光焊接的气孔问题。",
		Industry: "steel", Modes: []string{"service"}, RegionCode: "450203", Deadline: deadline}
}

func deadlineProblem(err error) bool {
	var me *market.Error
	if !errors.As(err, &me) {
		return false
	}
	for _, f := range me.Fields {
		if f.Field == "deadline" {
			return true
		}
	}
	return false
}

// "Today" for a deadline is the date in Beijing, as statistics years are:
// at 01:00 on 2 March in Beijing it is still 1 March in UTC, and a
// deadline of 1 March has passed.
func TestDeadlineIsMeasuredInBeijing(t *testing.T) {
	for _, c := range []struct {
		now      time.Time
		deadline string
		past     bool
	}{
		{time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC), "2026-03-01", true},   // 2 March 01:00 in Beijing
		{time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC), "2026-03-02", false},  // today in Beijing
		{time.Date(2026, 3, 1, 15, 59, 0, 0, time.UTC), "2026-03-01", false}, // 1 March 23:59 in Beijing
		{time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC), "2026-03-01", true},   // midnight in Beijing
		{time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC), "2026-12-31", true}, // New Year in Beijing
		{time.Date(2026, 3, 1, 17, 0, 0, 0, time.FixedZone("PST", -8*3600)), "2026-03-02", false},
	} {
		it := deadlineDemand(c.deadline)
		if got := deadlineProblem(it.Validate(c.now)); got != c.past {
			t.Errorf("deadline %s at %s: refused %v, want %v", c.deadline, c.now, got, c.past)
		}
	}
	if got := market.Today(time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)); got != "2026-03-02" {
		t.Errorf("Today at 16:00 UTC: %s", got)
	}
}

// An edit re-checks the deadline only when it sets or changes it: a
// published demand whose deadline has passed can still be corrected.
func TestEditKeepsAPassedDeadline(t *testing.T) {
	now := time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC)
	prev := deadlineDemand("2026-06-01")
	if err := prev.Validate(now); !deadlineProblem(err) {
		t.Fatalf("a new item with a passed deadline: %v", err)
	}
	edited := prev
	title := "焊接工艺改进需求（修订）"
	edited.Apply(market.DemandInput{Title: &title})
	if err := edited.ValidateEdit(&prev, now); err != nil {
		t.Fatalf("edit leaving the passed deadline alone: %v", err)
	}
	same := "2026-06-01"
	edited.Apply(market.DemandInput{Deadline: &same})
	if err := edited.ValidateEdit(&prev, now); err != nil {
		t.Fatalf("edit sending the same deadline back: %v", err)
	}
	for _, d := range []string{"2026-06-14", "2026-05-31"} {
		moved := prev
		moved.Apply(market.DemandInput{Deadline: &d})
		if err := moved.ValidateEdit(&prev, now); !deadlineProblem(err) {
			t.Errorf("edit moving the deadline to the past %s: %v", d, err)
		}
	}
	for _, d := range []string{"2026-06-15", "2027-01-01", ""} {
		moved := prev
		moved.Apply(market.DemandInput{Deadline: &d})
		if err := moved.ValidateEdit(&prev, now); err != nil {
			t.Errorf("edit setting the deadline %q: %v", d, err)
		}
	}
	// Other fields are still checked on an edit.
	bad := prev
	bad.Apply(market.DemandInput{Title: new(string)})
	if err := bad.ValidateEdit(&prev, now); err == nil || deadlineProblem(err) {
		t.Errorf("edit emptying the title: %v", err)
	}
}

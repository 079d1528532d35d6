package market

import (
	"reflect"
	"testing"
)

func TestConflict(t *testing.T) {
	e := Conflict("voucher_no %s is already booked on this transaction as payment %s", "V-1", "p1").
		On("voucher_no", "already booked on this transaction")
	want := &Error{Code: ECONFLICT, Message: "voucher_no V-1 is already booked on this transaction as payment p1",
		Fields: []FieldError{{Field: "voucher_no", Message: "already booked on this transaction"}}}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("got %#v\nwant %#v", e, want)
	}
	r := Reason{Code: "budget_exhausted", Message: "政策预算已用完"}
	e = Conflict("subsidy application %s cannot be approved now: budget_exhausted", "a1").Because(r)
	if e.Code != ECONFLICT || len(e.Fields) != 0 || !reflect.DeepEqual(e.Reasons, []Reason{r}) {
		t.Fatalf("got %#v", e)
	}
	// A message that holds a verb is the format's business, not the data's.
	if got := Conflict("%s", "100% taken").Message; got != "100% taken" {
		t.Fatalf("got %q", got)
	}
	if e := Conflict("plain"); e.Fields != nil || e.Reasons != nil {
		t.Fatalf("a bare conflict names nothing: %#v", e)
	}
}

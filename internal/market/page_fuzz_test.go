package market_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// FuzzParsePage checks that any ?cursor= and ?limit= either give a page
// request within the limits or an EINVALID error naming the culprit, and
// that every cursor the server issues for an ID of 1 to 64 bytes reads
// back as that ID.
func FuzzParsePage(f *testing.F) {
	f.Add("", "", []byte("01JABCDEFGHJKMNPQRSTVWXYZ0"))
	f.Add(market.EncodeCursor("01JABCDEFGHJKMNPQRSTVWXYZ0"), "20", []byte("x"))
	f.Add("", "1", []byte("需求"))
	f.Add("", "100", []byte{0, 0xff, '\n'})
	f.Add("", "101", []byte("a"))
	f.Add("", "0", []byte("a"))
	f.Add("", "-1", []byte("a"))
	f.Add("", "+5", []byte("a"))
	f.Add("", " 5", []byte("a"))
	f.Add("", "9223372036854775808", []byte("a"))
	f.Add("!!!", "", []byte("a"))
	f.Add("AA==", "", []byte("a"))
	f.Add("A", "", []byte("a"))
	f.Add("\n", "", []byte("a"))
	f.Add(market.EncodeCursor(string(make([]byte, 65))), "10", make([]byte, 64))
	f.Fuzz(func(t *testing.T, cursor, limit string, id []byte) {
		pr, err := market.ParsePage(cursor, limit)

		// The limit is judged alone: an integer in 1..MaxPageLimit.
		n, lerr := strconv.Atoi(limit)
		limitOK := limit == "" || (lerr == nil && n >= 1 && n <= market.MaxPageLimit)

		if err != nil {
			var me *market.Error
			if !errors.As(err, &me) || me.Code != market.EINVALID {
				t.Fatalf("ParsePage(%q, %q): %v, want an EINVALID *market.Error", cursor, limit, err)
			}
			if len(me.Fields) == 0 {
				t.Fatalf("ParsePage(%q, %q): %v names no field", cursor, limit, err)
			}
			want := "cursor"
			if !limitOK {
				want = "limit"
			}
			if me.Fields[0].Field != want {
				t.Fatalf("ParsePage(%q, %q): error names %q, want %q", cursor, limit, me.Fields[0].Field, want)
			}
			if cursor == "" && limitOK {
				t.Fatalf("ParsePage(%q, %q): %v for a good limit and no cursor", cursor, limit, err)
			}
		} else {
			if !limitOK {
				t.Fatalf("ParsePage(%q, %q) accepted a bad limit: %+v", cursor, limit, pr)
			}
			if pr.Limit < 1 || pr.Limit > market.MaxPageLimit {
				t.Fatalf("ParsePage(%q, %q): limit %d out of 1..%d", cursor, limit, pr.Limit, market.MaxPageLimit)
			}
			if limit == "" && pr.Limit != market.DefaultPageLimit {
				t.Fatalf("ParsePage(%q, \"\"): limit %d, want the default %d", cursor, pr.Limit, market.DefaultPageLimit)
			}
			if limit != "" && pr.Limit != n {
				t.Fatalf("ParsePage(%q, %q): limit %d", cursor, limit, pr.Limit)
			}
			if cursor == "" && pr.After != "" {
				t.Fatalf("no cursor, After %q", pr.After)
			}
			if cursor != "" && (len(pr.After) == 0 || len(pr.After) > 64) {
				t.Fatalf("cursor %q: After has %d bytes, want 1..64", cursor, len(pr.After))
			}
		}

		// Round trip of what the server issues.
		if len(id) == 0 {
			return
		}
		c := market.EncodeCursor(string(id))
		back, err := market.ParsePage(c, "")
		switch {
		case len(id) <= 64 && err != nil:
			t.Fatalf("EncodeCursor(%q) = %q does not parse: %v", id, c, err)
		case len(id) <= 64 && back.After != string(id):
			t.Fatalf("EncodeCursor(%q) = %q reads back as %q", id, c, back.After)
		case len(id) <= 64 && back.Limit != market.DefaultPageLimit:
			t.Fatalf("cursor without limit: limit %d", back.Limit)
		case len(id) > 64 && market.ErrorCode(err) != market.EINVALID:
			t.Fatalf("a %d-byte cursor: %v, want EINVALID", len(id), err)
		}
	})
}

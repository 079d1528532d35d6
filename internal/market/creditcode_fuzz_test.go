package market_test

import (
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// fuzzCreditCharset is the GB 32100-2015 alphabet, spelled out again here so
// the fuzz oracle does not share the implementation's table.
const fuzzCreditCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// fuzzCreditCheck is an independent oracle for the check character: the
// weight of position i (1-based) is 3^(i-1) mod 31 and the check value is
// 31 - (Σ value × weight mod 31), with 31 written as 0.
func fuzzCreditCheck(body string) (byte, bool) {
	if len(body) != 17 {
		return 0, false
	}
	sum, w := 0, 1
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(fuzzCreditCharset, body[i])
		if v < 0 {
			return 0, false
		}
		sum += v * w
		w = w * 3 % 31
	}
	return fuzzCreditCharset[(31-sum%31)%31], true
}

// fuzzCreditBody maps arbitrary bytes onto a 17-character body of the
// alphabet, so every fuzz input also yields a well-formed code to check.
func fuzzCreditBody(s string) string {
	b := make([]byte, 17)
	for i := range b {
		x := byte(i * 7)
		if len(s) > 0 {
			x += s[i%len(s)]
		}
		b[i] = fuzzCreditCharset[int(x)%len(fuzzCreditCharset)]
	}
	return string(b)
}

// FuzzValidCreditCode checks ValidCreditCode and CreditCodeCheckChar
// against an independent oracle for any string, and the error-detecting
// properties the check character exists for: any single substitution and
// any swap of two different adjacent body characters is caught.
func FuzzValidCreditCode(f *testing.F) {
	for _, s := range []string{
		"91350100M000100Y43", // the standard's example
		"914403001922038216",
		"9144030071526726XG",
		"000000000000000000",
		"91350100m000100y43", // lower case is refused
		"91350100M000100Y44", // wrong check character
		"91350100M000100Y4",  // 17 characters
		"91350100M000100Y433",
		"91350100I000100Y43", // I is not in the alphabet
		"９１350100M000100Y",   // full-width digits
		" 91350100M000100Y43",
		"",
		"\xff\xfe\x00",
	} {
		f.Add(s, uint8(3), uint8(7))
	}
	f.Fuzz(func(t *testing.T, s string, pos, repl uint8) {
		valid := market.ValidCreditCode(s)

		// The oracle, for any input.
		want := false
		if len(s) == 18 {
			c, ok := fuzzCreditCheck(s[:17])
			want = ok && s[17] == c
		}
		if valid != want {
			t.Fatalf("ValidCreditCode(%q) = %v, oracle says %v", s, valid, want)
		}
		if valid {
			if len(s) != 18 {
				t.Fatalf("valid code %q has %d bytes", s, len(s))
			}
			for i := 0; i < len(s); i++ {
				if strings.IndexByte(fuzzCreditCharset, s[i]) < 0 {
					t.Fatalf("valid code %q holds %q outside the alphabet", s, s[i])
				}
			}
			if c, ok := market.CreditCodeCheckChar(s[:17]); !ok || c != s[17] {
				t.Fatalf("valid code %q: CreditCodeCheckChar = %q, %v", s, c, ok)
			}
		}
		if len(s) >= 17 {
			c, ok := market.CreditCodeCheckChar(s[:17])
			oc, ook := fuzzCreditCheck(s[:17])
			if ok != ook || c != oc {
				t.Fatalf("CreditCodeCheckChar(%q) = %q, %v; oracle %q, %v", s[:17], c, ok, oc, ook)
			}
		}

		// A well-formed body: body+check is valid, every other final
		// character is not.
		body := fuzzCreditBody(s)
		check, ok := market.CreditCodeCheckChar(body)
		if !ok {
			t.Fatalf("CreditCodeCheckChar(%q) refused a body of the alphabet", body)
		}
		code := body + string(check)
		if !market.ValidCreditCode(code) {
			t.Fatalf("%q (body + its check character) is not valid", code)
		}
		for i := 0; i < 256; i++ {
			if byte(i) != check && market.ValidCreditCode(body+string([]byte{byte(i)})) {
				t.Fatalf("%q + %q is valid, want only %q", body, byte(i), check)
			}
		}
		if strings.ToLower(code) != code && market.ValidCreditCode(strings.ToLower(code)) {
			t.Fatalf("lower-case %q is valid", strings.ToLower(code))
		}

		// Any single substitution by another character of the alphabet is
		// caught: weights are non-zero modulo the prime 31.
		p := int(pos) % 18
		r := fuzzCreditCharset[int(repl)%len(fuzzCreditCharset)]
		if r != code[p] {
			mutated := code[:p] + string(r) + code[p+1:]
			if market.ValidCreditCode(mutated) {
				t.Fatalf("%q with position %d changed to %q (%q) is still valid", code, p+1, r, mutated)
			}
		}
		// Swapping two different adjacent body characters is caught: the
		// sum changes by (a-b)·w·(1-3), never 0 mod 31.
		q := int(pos) % 16
		if code[q] != code[q+1] {
			swapped := code[:q] + string(code[q+1]) + string(code[q]) + code[q+2:]
			if market.ValidCreditCode(swapped) {
				t.Fatalf("%q with positions %d and %d swapped (%q) is still valid", code, q+1, q+2, swapped)
			}
		}
	})
}
